using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeLlm.Device.Power;

/// <summary>
/// The Raspberry Pi 5 PMIC's ADC through <c>vcgencmd pmic_read_adc</c> (docs/power.md). Lines such as
/// <c>VDD_CORE_A current(7)=2.50000000A</c> and <c>VDD_CORE_V volt(15)=0.80000000V</c> are paired by rail name (the
/// indices differ) and V×I is summed over the rails that have both; rails with only one (EXT5V_V) are left out.
/// A partial reading: the SoC-side rails, not the 5 V input (USB, fan, HATs and the PMIC's own losses are missing).
/// Watts = A·ΣVI + B (<see cref="Pi5CorrectionOptions"/>).
/// </summary>
public sealed partial class Pi5PmicMonitor : IPowerMonitor
{
    private readonly IPmicAdcReader _reader;
    private readonly Pi5CorrectionOptions _correction;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    public Pi5PmicMonitor(IPmicAdcReader reader, Pi5CorrectionOptions? correction = null, TimeProvider? time = null)
    {
        _reader = reader;
        _correction = correction ?? new Pi5CorrectionOptions();
        _time = time ?? TimeProvider.System;
        var rails = Parse(_reader.Read());
        int paired = rails.Count(r => r.Watts is not null);
        if (paired == 0)
        {
            throw new PowerSourceException("pi5-pmic: vcgencmd pmic_read_adc printed no rail with both current and voltage (not a Raspberry Pi 5, or old firmware: sudo rpi-eeprom-update)");
        }

        string corrected = _correction.A == 1 && _correction.B == 0 ? "" : $", corrected {_correction.A}·ΣVI{(_correction.B >= 0 ? "+" : "")}{_correction.B} W";
        Description = $"partial: SoC PMIC rails, not the 5 V input ({paired} rails{corrected})";
    }

    public string Source => PowerSourceNames.Pi5Pmic;

    public string Description { get; }

    public bool IsEstimate => false;

    public bool HasEnergyCounter => false;

    /// <summary>Every rail in the output, in order of first appearance.</summary>
    public static IReadOnlyList<PmicRail> Parse(string output)
    {
        var order = new List<string>();
        var volts = new Dictionary<string, double>();
        var amps = new Dictionary<string, double>();
        foreach (string line in output.Split('\n'))
        {
            var m = Line().Match(line);
            if (!m.Success || !double.TryParse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                continue;
            }

            string rail = m.Groups["rail"].Value;
            if (!volts.ContainsKey(rail) && !amps.ContainsKey(rail))
            {
                order.Add(rail);
            }

            (m.Groups["kind"].Value == "A" ? amps : volts)[rail] = value;
        }

        return order.Select(r => new PmicRail(r, volts.TryGetValue(r, out double v) ? v : null, amps.TryGetValue(r, out double a) ? a : null)).ToList();
    }

    public PowerReading Read()
    {
        lock (_lock)
        {
            var rails = Parse(_reader.Read());
            double sum = rails.Sum(r => r.Watts ?? 0);
            if (!rails.Any(r => r.Watts is not null))
            {
                throw new PowerSourceException("pi5-pmic: vcgencmd pmic_read_adc printed no rail with both current and voltage");
            }

            // EXT5V_V is the board's 5 V input voltage: the one voltage worth showing beside the partial sum.
            double? input = rails.FirstOrDefault(r => r.Name == "EXT5V")?.Volts;
            return new PowerReading(_correction.A * sum + _correction.B, input, null, null, _time.GetUtcNow());
        }
    }

    public void Dispose()
    {
    }

    // "  VDD_CORE_A current(7)=2.50000000A", "VDD_CORE_V volt(15)=0.80000000V"
    [GeneratedRegex(@"^\s*(?<rail>\S+)_(?<kind>[AV])\s+(?:current|volt)\(\d+\)=(?<value>[-+0-9.eE]+)[AV]\s*$")]
    private static partial Regex Line();
}
