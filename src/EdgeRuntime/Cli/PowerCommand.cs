using System.CommandLine;
using System.Globalization;
using EdgeLlm.Device.Power;
using EdgeLlm.EdgeRuntime.Service;
using Microsoft.Extensions.Configuration;

namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>
/// <c>edgellm power</c>: opens the configured (or <c>--source</c>) power source and prints readings: watts, volts,
/// amps, the source and what it measures (docs/power.md). Settings come from section "EdgeLlm:Power" of
/// appsettings.json, <c>--config FILE</c> and EDGELLM__POWER__* environment variables, as for <c>serve</c>.
/// </summary>
public static class PowerCommand
{
    public static Command Create()
    {
        var source = new Option<string?>("--source") { Description = $"auto (default), {string.Join(", ", PowerOptions.Sources)}", HelpName = "SOURCE" };
        var watch = new Option<bool>("--watch") { Description = "keep printing until Ctrl-C (or --count readings)" };
        var interval = new Option<int>("--interval") { Description = "milliseconds between readings (default 1000)", DefaultValueFactory = _ => 1000, HelpName = "MS" };
        var count = new Option<int?>("--count") { Description = "print N readings, then stop", HelpName = "N" };
        var config = new Option<string?>("--config") { Description = "JSON settings file (section \"EdgeLlm:Power\")", HelpName = "FILE" };
        var command = new Command("power", "Print power readings and their source (INA219/INA236, hwmon, RAPL, Pi 5 PMIC, or a CPU-time estimate)")
        {
            source, watch, interval, count, config,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int ms = parse.GetValue(interval);
            int? n = parse.GetValue(count);
            if (ms is < 10 or > 3_600_000)
            {
                Console.Error.WriteLine($"edgellm power: --interval: must be 10-3600000 ms, got {ms}");
                return 2;
            }

            if (n is < 1)
            {
                Console.Error.WriteLine($"edgellm power: --count: must be >= 1, got {n}");
                return 2;
            }

            PowerOptions options;
            try
            {
                var values = new Dictionary<string, string?>();
                if (parse.GetValue(source) is { } s)
                {
                    values[$"{ServiceOptions.Section}:Power:Source"] = s;
                }

                var configuration = ServiceHost.BuildConfiguration(parse.GetValue(config), values);
                options = configuration.GetSection($"{ServiceOptions.Section}:Power").Get<PowerOptions>() ?? new PowerOptions();
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or InvalidOperationException)
            {
                Console.Error.WriteLine($"edgellm power: configuration: {e.Message.ReplaceLineEndings(" ")}");
                return 2;
            }

            var errors = options.Validate().ToList();
            if (errors.Count > 0)
            {
                Console.Error.WriteLine($"edgellm power: {errors[0]}");
                return 2;
            }

            int readings = n ?? (parse.GetValue(watch) ? int.MaxValue : 1);
            return await RunAsync(options, readings, TimeSpan.FromMilliseconds(ms), Console.Out, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Prints <paramref name="readings"/> readings; returns the exit code.</summary>
    public static async Task<int> RunAsync(PowerOptions options, int readings, TimeSpan interval, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken, PowerPlatform? platform = null)
    {
        var notes = new List<string>();
        IPowerMonitor monitor;
        try
        {
            monitor = PowerMonitorFactory.Open(options, platform, notes);
        }
        catch (PowerSourceException e)
        {
            stderr.WriteLine($"edgellm power: {e.Message}");
            return 1;
        }

        using (monitor)
        {
            foreach (string note in notes)
            {
                stderr.WriteLine($"auto: skipped {note}");
            }

            stdout.WriteLine($"# {monitor.Source}{(monitor.IsEstimate ? " (estimate)" : "")}: {monitor.Description}");
            try
            {
                // a counter's first figure is the average since it was opened: give it one interval
                if (monitor.HasEnergyCounter)
                {
                    await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                }

                for (int i = 0; i < readings; i++)
                {
                    if (i > 0)
                    {
                        await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                    }

                    stdout.WriteLine(Format(monitor.Read(), monitor));
                    stdout.Flush();
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C ends --watch: not a failure
            }
            catch (PowerSourceException e)
            {
                stderr.WriteLine($"edgellm power: {e.Message}");
                return 1;
            }
        }

        return 0;
    }

    internal static string Format(PowerReading r, IPowerMonitor monitor)
    {
        static string Value(double? v, string unit) => v is { } x ? x.ToString("F3", CultureInfo.InvariantCulture) + " " + unit : "- " + unit;
        string energy = r.EnergyJoules is { } j ? "  " + j.ToString("F3", CultureInfo.InvariantCulture) + " J" : "";
        return $"{r.Timestamp.ToLocalTime():HH:mm:ss.fff}  {Value(r.Watts, "W")}  {Value(r.Volts, "V")}  {Value(r.Amps, "A")}{energy}  {monitor.Source}{(monitor.IsEstimate ? " (estimate)" : "")}";
    }
}
