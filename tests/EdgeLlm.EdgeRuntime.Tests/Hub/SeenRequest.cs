using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EdgeLlm.EdgeRuntime.Tests.Hub;

/// <summary>One request as the fake hub saw it.</summary>
public sealed record SeenRequest(int Port, string Path, string? Range, string? Authorization);
