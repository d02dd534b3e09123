using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>An external mosquitto that wants TLS (with a client certificate) and a user name and password.</summary>
public class ExternalBrokerSecurityTests
{
    [Test]
    public async Task TlsClientCertificateAndPasswordAgainstMosquitto()
    {
        string? ca = null;
        using var broker = await Mosquitto.StartAsync(dir =>
        {
            ca = WritePki(dir);
            var passwd = Path.Combine(dir, "passwd");
            var p = Process.Start(new ProcessStartInfo("mosquitto_passwd", ["-b", "-c", passwd, "edge", "s3cret"]) { RedirectStandardError = true })!;
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.Zero, "mosquitto_passwd");
            return $"""
                cafile {ca}
                certfile {Path.Combine(dir, "server.pem")}
                keyfile {Path.Combine(dir, "server.key")}
                require_certificate true
                password_file {passwd}
                """;
        }, anonymous: false);

        var dir = broker.Folder;
        var tls = new TlsOptions
        {
            Enabled = true,
            CaFile = ca,
            ClientCertificateFile = Path.Combine(dir, "client.pem"),
            ClientKeyFile = Path.Combine(dir, "client.key"),
        };
        var options = InProcessService.Defaults(broker.Endpoint) with { Username = "edge", Password = "s3cret", Tls = tls };
        await using var service = await InProcessService.StartAsync(options);

        var clientCert = X509Certificate2.CreateFromPemFile(tls.ClientCertificateFile, tls.ClientKeyFile);
        var trust = new X509Certificate2Collection();
        trust.ImportFromPemFile(ca!);
        await using var client = await TestClient.ConnectAsync(broker.Endpoint, username: "edge", password: "s3cret",
            configure: b => b.WithTlsOptions(t => t.UseTls().WithTargetHost("127.0.0.1").WithTrustChain(trust).WithClientCertificates([clientCert])));
        await client.SubscribeAsync("tls/replies");
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("tls1", "Once upon a time", 12), "tls/replies");
        Assert.That((await client.WaitFinalAsync("tls1", TimeSpan.FromSeconds(30))).Type, Is.EqualTo("done"));

        // the same broker refuses a service with the wrong password: it keeps retrying, never connects
        var wrong = options with { DeviceId = "wrong" + Guid.NewGuid().ToString("N")[..6], Password = "nope" };
        await using var refused = await InProcessService.StartAsync(wrong, waitConnected: false);
        await Task.Delay(1500);
        Assert.That(refused.Connection.IsConnected, Is.False);
    }

    /// <summary>A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files; returns the CA path.</summary>
    private static string WritePki(string dir)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=edgellm test CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var caCert = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        void Issue(string name, bool server)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                san.AddDnsName("localhost");
                req.CertificateExtensions.Add(san.Build());
            }

            var serial = RandomNumberGenerator.GetBytes(8);
            using var cert = req.Create(caCert, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
            File.WriteAllText(Path.Combine(dir, name + ".pem"), cert.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir, name + ".key"), key.ExportPkcs8PrivateKeyPem());
        }

        Issue("server", server: true);
        Issue("client", server: false);
        var caPath = Path.Combine(dir, "ca.pem");
        File.WriteAllText(caPath, caCert.ExportCertificatePem());
        return caPath;
    }
}
