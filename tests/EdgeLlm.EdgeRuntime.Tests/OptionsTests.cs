using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels.Model;
using Microsoft.Extensions.Configuration;

namespace EdgeLlm.EdgeRuntime.Tests;

public class OptionsTests
{
    [Test]
    public void EachBadValueGivesOneLine()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeLlm:ModelPath"] = "/nonexistent/model.gguf",
            ["EdgeLlm:MqttPort"] = "70000",
            ["EdgeLlm:QueueLength"] = "many",
            ["EdgeLlm:TopP"] = "2",
            ["EdgeLlm:DeviceId"] = "a/b",
            ["EdgeLlm:HomeAssistantDiscovery"] = "perhaps",
        }).Build();
        var errors = new List<string>();
        ServiceOptions.Read(config, errors);
        Assert.That(errors, Has.Count.EqualTo(6), string.Join("\n", errors));
        Assert.That(errors, Has.Some.StartsWith("EdgeLlm:MqttPort: 70000 is out of range"));
        Assert.That(errors, Has.Some.StartsWith("EdgeLlm:QueueLength: 'many' is not an integer"));
        Assert.That(errors, Has.Some.StartsWith("EdgeLlm:ModelPath:"));
        Assert.That(errors.All(e => !e.Contains('\n')), Is.True);
    }

    [TestCase(null, KvCacheType.Auto)]
    [TestCase("auto", KvCacheType.Auto)]
    [TestCase("f32", KvCacheType.F32)]
    [TestCase("f16", KvCacheType.F16)]
    [TestCase("Q8_0", KvCacheType.Q8_0)]
    public void KvCacheFormat(string? value, KvCacheType expected)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeLlm:ModelPath"] = TestEnvironment.ModelPath,
            ["EdgeLlm:KvCache"] = value,
        }).Build();
        var errors = new List<string>();
        Assert.That(ServiceOptions.Read(config, errors).KvCache, Is.EqualTo(expected));
        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void UnknownKvCacheFormatIsOneLine()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeLlm:ModelPath"] = TestEnvironment.ModelPath,
            ["EdgeLlm:KvCache"] = "q4_0",
        }).Build();
        var errors = new List<string>();
        Assert.That(ServiceOptions.Read(config, errors).KvCache, Is.EqualTo(KvCacheType.Auto));
        Assert.That(errors, Is.EqualTo(new[] { "EdgeLlm:KvCache: 'q4_0' is not auto, f32, f16 or q8_0" }));
    }

    [Test]
    public void EnvironmentAndFlagsOverrideInThatOrder()
    {
        Environment.SetEnvironmentVariable("EDGELLM__QUEUELENGTH", "3");
        Environment.SetEnvironmentVariable("EDGELLM__MQTTPORT", "1999");
        try
        {
            var config = ServiceHost.BuildConfiguration(null, new Dictionary<string, string?>
            {
                ["EdgeLlm:MqttPort"] = "2000",
                ["EdgeLlm:ModelPath"] = TestEnvironment.ModelPath,
            });
            var errors = new List<string>();
            var o = ServiceOptions.Read(config, errors);
            Assert.That(o.QueueLength, Is.EqualTo(3));
            Assert.That(o.MqttPort, Is.EqualTo(2000));
        }
        finally
        {
            Environment.SetEnvironmentVariable("EDGELLM__QUEUELENGTH", null);
            Environment.SetEnvironmentVariable("EDGELLM__MQTTPORT", null);
        }
    }

    [Test]
    public async Task ServeRefusesBadFlagsWithOneLineEach()
    {
        using var child = ChildService.Start("serve", "--mqtt-port", "abc", "--queue-length", "-1", "--model", "missing.gguf");
        var code = await child.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var lines = child.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(code, Is.EqualTo(2), child.Stderr);
        Assert.That(lines, Has.Length.EqualTo(3), child.Stderr);
        Assert.That(lines, Has.Some.Contains("EdgeLlm:MqttPort: 'abc' is not an integer"));
        Assert.That(lines, Has.Some.Contains("EdgeLlm:QueueLength: -1 is out of range"));
        Assert.That(lines, Has.Some.Contains("EdgeLlm:ModelPath: model file 'missing.gguf' not found"));
    }

    [TestCase("localhost", "localhost", 1883)]
    [TestCase("10.1.2.3:1884", "10.1.2.3", 1884)]
    [TestCase("[::1]:1885", "::1", 1885)]
    public void BrokerAddressesParse(string text, string host, int port)
    {
        Assert.That(ServiceOptions.TryParseBroker(text, false, out var h, out var p), Is.True);
        Assert.That((h, p), Is.EqualTo((host, port)));
    }

    [TestCase("host:0")]
    [TestCase("host:x")]
    [TestCase(":1883")]
    [TestCase("a b")]
    public void BadBrokerAddressesFail(string text) =>
        Assert.That(ServiceOptions.TryParseBroker(text, false, out _, out _), Is.False);

    /// <summary>The deployed settings file spells out the defaults, every one of them, and nothing else.</summary>
    [Test]
    public void SystemdAppSettingsHoldTheDefaults()
    {
        var file = Path.Combine(TestEnvironment.RepoRoot, "hardware", "systemd", "appsettings.json");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        var section = doc.RootElement.GetProperty(ServiceOptions.Section);
        var defaults = new ServiceOptions();
        var compared = 0;
        foreach (var (obj, target, prefix) in new[] { (section, (object)defaults, ""), (section.GetProperty("Tls"), defaults.Tls, "Tls:") })
        {
            var properties = target.GetType().GetProperties().Where(p => p.CanWrite).ToDictionary(p => p.Name);
            var inFile = obj.EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.That(properties.Keys.Where(k => !inFile.Contains(k)), Is.Empty, $"{prefix}settings missing from {file}");
            foreach (var p in obj.EnumerateObject())
            {
                Assert.That(properties.ContainsKey(p.Name), Is.True, $"{prefix}{p.Name} in {file} is no setting");
                var value = properties[p.Name].GetValue(target);
                switch (p.Name)
                {
                    case "Tls":
                        continue;
                    case "ModelPath":
                        // installed under /opt/edgellm: the same bundled model
                        Assert.That(Path.GetFileName(p.Value.GetString()), Is.EqualTo(Path.GetFileName(ServiceDefaults.ModelPath)));
                        break;
                    case "DeviceId":
                        Assert.That(p.Value.GetString(), Is.Empty, "empty = the host name, the default");
                        break;
                    default:
                        var text = p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
                        var expected = value switch
                        {
                            null => "",
                            bool b => b ? "true" : "false",
                            float f => f.ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture),
                            IFormattable x => x.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                            _ => value.ToString(),
                        };
                        Assert.That(text?.ToLowerInvariant(), Is.EqualTo(expected?.ToLowerInvariant()), $"{prefix}{p.Name}");
                        break;
                }

                compared++;
            }
        }

        Assert.That(compared, Is.GreaterThan(30));
    }
}
