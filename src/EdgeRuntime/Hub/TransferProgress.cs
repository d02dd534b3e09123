using System.Diagnostics;
using System.Globalization;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>
/// One progress line per file on stderr: bytes, percent, rate. On a terminal the line is rewritten in place at most
/// four times a second; when stderr is a file or pipe, a new line at most every two seconds, so logs stay short.
/// </summary>
public sealed class TransferProgress
{
    private readonly TextWriter _out;
    private readonly string _name;
    private readonly long _total;
    private readonly bool _rewrite;
    private readonly TimeSpan _interval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly long _startBytes;
    private TimeSpan _last = TimeSpan.Zero; // the first line comes after one interval: small files print only their result
    private int _lastLength;

    public TransferProgress(TextWriter output, string name, long total, long startBytes, bool rewriteInPlace)
    {
        _out = output;
        _name = name;
        _total = total;
        _startBytes = startBytes;
        _rewrite = rewriteInPlace;
        _interval = rewriteInPlace ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(2);
    }

    /// <summary>Call as bytes arrive; prints only when the interval has passed.</summary>
    public void Report(long done)
    {
        var now = _clock.Elapsed;
        if (now - _last < _interval)
            return;
        _last = now;
        Write(Line(done, now), final: false);
    }

    /// <summary>The last line for the file, with what happened to it.</summary>
    public void Finish(long done, string outcome) => Write($"{Line(done, _clock.Elapsed)}  {outcome}", final: true);

    /// <summary>A file that needed no transfer.</summary>
    public void Skipped(string outcome) => Write($"  {_name}  {Bytes(_total)}  {outcome}", final: true);

    /// <summary>A message about this file (a retry), on its own line even when the progress line is being rewritten.</summary>
    public void Note(string message)
    {
        if (_rewrite && _lastLength > 0)
            _out.WriteLine();
        _lastLength = 0;
        _out.WriteLine($"  {_name}: {message}");
        _out.Flush();
    }

    private string Line(long done, TimeSpan elapsed)
    {
        double pct = _total > 0 ? 100.0 * done / _total : 100.0;
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        double rate = (done - _startBytes) / seconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"  {_name}  {Bytes(done)} / {Bytes(_total)}  {pct,5:0.0}%  {Bytes((long)rate)}/s");
    }

    private void Write(string line, bool final)
    {
        if (_rewrite)
        {
            string pad = line.Length < _lastLength ? new string(' ', _lastLength - line.Length) : "";
            _out.Write($"\r{line}{pad}");
            _lastLength = line.Length;
            if (final)
                _out.WriteLine();
        }
        else
        {
            _out.WriteLine(line);
        }
        _out.Flush();
    }

    public static string Bytes(long n) => n switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{n} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{n / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{n / (1024.0 * 1024):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{n / (1024.0 * 1024 * 1024):0.00} GiB"),
    };
}
