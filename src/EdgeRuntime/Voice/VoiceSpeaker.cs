using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace EdgeLlm.EdgeRuntime.Voice;

/// <summary>
/// Speaks a reply with espeak-ng as a child process: <c>espeak-ng [-d DEVICE] --stdin</c>, the text on its standard
/// input (no quoting, no length limit of a command line). "default" leaves out <c>-d</c>: espeak-ng's own default output.
/// A failure is one warning line; the reply was published already.
/// </summary>
public sealed class VoiceSpeaker(string program, string device, ILogger log)
{
    /// <summary>Longest time one reply may take to speak (256 tokens at 140 words a minute take about 90 s).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public IReadOnlyList<string> Arguments { get; } = device == "default" ? ["--stdin"] : ["-d", device, "--stdin"];

    public async Task SpeakAsync(string text, CancellationToken cancellationToken)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return;
        }

        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception e)
        {
            log.LogWarning("voice: cannot run {Program} to speak the reply: {Error} (install espeak-ng, or set Voice:Espeak)", program, e.Message);
            return;
        }

        using (p)
        {
            var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
            var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                await p.StandardInput.WriteAsync(text.AsMemory(), timeout.Token).ConfigureAwait(false);
                p.StandardInput.Close();
                await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                await stdout.ConfigureAwait(false);
                var err = (await stderr.ConfigureAwait(false)).Trim();
                if (p.ExitCode != 0)
                {
                    log.LogWarning("voice: {Program} {Args} failed (exit {Code}): {Error}", program, string.Join(' ', Arguments), p.ExitCode,
                        err.Split('\n').FirstOrDefault() ?? "");
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // stopping, the timeout, or the program quit without reading its input
                p.Kill(entireProcessTree: true);
                if (!cancellationToken.IsCancellationRequested)
                {
                    log.LogWarning("voice: speaking the reply with {Program} ended: {Error}", program, e.Message);
                }
            }
        }
    }
}
