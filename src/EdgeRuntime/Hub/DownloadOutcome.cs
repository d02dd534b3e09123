using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace EdgeLlm.EdgeRuntime.Hub;

public enum DownloadOutcome
{
    Downloaded,
    /// <summary>Continued from a <c>.part</c> left by an earlier run.</summary>
    Resumed,
    /// <summary>The file was already in place and verified; nothing was fetched.</summary>
    AlreadyComplete,
}
