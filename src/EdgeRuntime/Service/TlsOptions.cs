using System.Globalization;
using System.Net;
using EdgeLlm.Kernels.Model;
using Microsoft.Extensions.Configuration;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>TLS settings for the connection to an external broker.</summary>
public sealed record TlsOptions
{
    public bool Enabled { get; init; }

    /// <summary>PEM file with the CA certificate(s) the broker's certificate must chain to; null = system store.</summary>
    public string? CaFile { get; init; }

    /// <summary>Client certificate: PEM (with <see cref="ClientKeyFile"/>) or PKCS#12 (.pfx/.p12).</summary>
    public string? ClientCertificateFile { get; init; }

    public string? ClientKeyFile { get; init; }

    public string? ClientCertificatePassword { get; init; }

    /// <summary>Accept any broker certificate (testing only).</summary>
    public bool AllowUntrusted { get; init; }
}
