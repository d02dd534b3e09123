using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace EdgeLlm.EdgeRuntime.Hub;

/// <summary>Retry and timing knobs of the downloader (tests shorten them).</summary>
public sealed record DownloadOptions
{
    /// <summary>Failed attempts in a row, none of which received a byte, before giving up on a file.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>Upper bound on all attempts for one file, progress or not.</summary>
    public int MaxTotalAttempts { get; init; } = 50;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection that delivers nothing for this long is dropped and retried.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Rewrite the progress line in place (a terminal); null = when stderr is not redirected.</summary>
    public bool? ProgressInPlace { get; init; }
}
