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

    [Test]
    public void DeviceSectionsAreReadValueByValueWithOneLinePerBadValue()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeLlm:ModelPath"] = TestEnvironment.ModelPath,
            ["EdgeLlm:Gpio:ButtonLine"] = "seventeen",
            ["EdgeLlm:Audio:SilenceMs"] = "50",
            ["EdgeLlm:Power:ShuntOhms"] = "abc",
            ["EdgeLlm:Power:Pi5Correction:A"] = "0",
            ["EdgeLlm:Energy:Mode"] = "turbo",
            ["EdgeLlm:Speech:Engine"] = "whisper",
            ["EdgeLlm:Voice:Enabled"] = "yes",
        }).Build();
        var errors = new List<string>();
        ServiceOptions.Read(config, errors);
        Assert.That(errors, Is.EquivalentTo(new[]
        {
            "EdgeLlm:Gpio:ButtonLine: 'seventeen' is not an integer",
            "Audio:SilenceMs = 50: must be between 100 and 10000",
            "EdgeLlm:Power:ShuntOhms: 'abc' is not a number",
            "EdgeLlm:Power:Pi5Correction: A must be > 0 and B finite, got A=0, B=0",
            "EdgeLlm:Energy:Mode: 'turbo' is not off, efficient or performance",
            "Speech:WhisperModel is empty: Engine = whisper needs a ggml model file (e.g. ggml-base.en.bin from whisper.cpp)",
            "EdgeLlm:Voice:Enabled: 'yes' is not true or false",
        }), string.Join("\n", errors));
    }

    [Test]
    public void DeviceSectionsBindEveryKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeLlm:ModelPath"] = TestEnvironment.ModelPath,
            ["EdgeLlm:Gpio:Enabled"] = "true",
            ["EdgeLlm:Gpio:Chip"] = "pinctrl-rp1",
            ["EdgeLlm:Gpio:LedLine"] = "-1",
            ["EdgeLlm:Gpio:LongHoldMs"] = "3000",
            ["EdgeLlm:Audio:Device"] = "plughw:1,0",
            ["EdgeLlm:Audio:ThresholdDb"] = "-35.5",
            ["EdgeLlm:Speech:Grammar"] = "/etc/edgellm/commands.jsgf",
            ["EdgeLlm:Voice:Enabled"] = "true",
            ["EdgeLlm:Voice:Speaker"] = "default",
            ["EdgeLlm:Voice:Hermes"] = "true",
            ["EdgeLlm:Voice:SiteId"] = "kitchen",
            ["EdgeLlm:Power:Source"] = "INA236",
            ["EdgeLlm:Power:I2cAddress"] = "65",
            ["EdgeLlm:Power:ShuntOhms"] = "0.008",
            ["EdgeLlm:Power:MaxCurrentAmps"] = "10",
            ["EdgeLlm:Power:Pi5Correction:A"] = "1.12",
            ["EdgeLlm:Power:Pi5Correction:B"] = "0.9",
            ["EdgeLlm:Energy:Mode"] = "efficient",
        }).Build();
        var errors = new List<string>();
        var o = ServiceOptions.Read(config, errors);
        Assert.That(errors, Is.Empty);
        Assert.That((o.Gpio.Enabled, o.Gpio.Chip, o.Gpio.LedLine, o.Gpio.LongHoldMs, o.Gpio.ButtonLine), Is.EqualTo((true, "pinctrl-rp1", -1, 3000, 17)));
        Assert.That((o.Audio.Device, o.Audio.ThresholdDb, o.Audio.SilenceMs), Is.EqualTo(("plughw:1,0", -35.5, 800)));
        Assert.That(o.Speech.Grammar, Is.EqualTo("/etc/edgellm/commands.jsgf"));
        Assert.That(o.Voice, Is.EqualTo(new EdgeLlm.EdgeRuntime.Voice.VoiceOptions { Enabled = true, Speaker = "default", Hermes = true, SiteId = "kitchen" }));
        Assert.That((o.Power.Source, o.Power.I2cAddress, o.Power.ShuntOhms, o.Power.MaxCurrentAmps), Is.EqualTo(("ina236", 65, 0.008, 10.0)));
        Assert.That((o.Power.Pi5Correction.A, o.Power.Pi5Correction.B), Is.EqualTo((1.12, 0.9)));
        Assert.That(o.Energy.Mode, Is.EqualTo("efficient"));
    }

    [Test]
    public void TheVoiceFlowNeedsTheButton()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgeLlm:ModelPath"] = TestEnvironment.ModelPath,
            ["EdgeLlm:Voice:Enabled"] = "true",
        }).Build();
        var errors = new List<string>();
        ServiceOptions.Read(config, errors);
        Assert.That(errors, Is.EqualTo(new[] { "EdgeLlm:Voice:Enabled: the voice flow starts with the push button: set Gpio:Enabled to true too (docs/gpio.md)" }));
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

    /// <summary>The deployed settings file spells out the defaults, every one of them (the device sections too), and nothing else.</summary>
    [Test]
    public void SystemdAppSettingsHoldTheDefaults()
    {
        var file = Path.Combine(TestEnvironment.RepoRoot, "hardware", "systemd", "appsettings.json");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        var compared = 0;
        Compare(doc.RootElement.GetProperty(ServiceOptions.Section), new ServiceOptions(), "");
        Assert.That(compared, Is.GreaterThan(70));

        void Compare(System.Text.Json.JsonElement obj, object target, string prefix)
        {
            var properties = target.GetType().GetProperties().Where(p => p.CanWrite).ToDictionary(p => p.Name);
            var inFile = obj.EnumerateObject().Select(p => p.Name).ToHashSet();
            Assert.That(properties.Keys.Where(k => !inFile.Contains(k)), Is.Empty, $"{prefix}settings missing from {file}");
            foreach (var p in obj.EnumerateObject())
            {
                Assert.That(properties.ContainsKey(p.Name), Is.True, $"{prefix}{p.Name} in {file} is no setting");
                var value = properties[p.Name].GetValue(target);
                if (p.Value.ValueKind == System.Text.Json.JsonValueKind.Object)
                {
                    Compare(p.Value, value!, prefix + p.Name + ":");
                    continue;
                }

                switch (prefix + p.Name)
                {
                    case "ModelPath":
                        // installed under /opt/edgellm: the same bundled model
                        Assert.That(Path.GetFileName(p.Value.GetString()), Is.EqualTo(Path.GetFileName(ServiceDefaults.ModelPath)));
                        break;
                    case "DeviceId":
                        Assert.That(p.Value.GetString(), Is.Empty, "empty = the host name, the default");
                        break;
                    case "Actions":
                        Assert.That(p.Value.GetArrayLength(), Is.Zero, "no actions by default (docs/mqtt.md shows how to add them)");
                        break;
                    default:
                        if (p.Value.ValueKind == System.Text.Json.JsonValueKind.Number)
                        {
                            Assert.That(p.Value.GetDouble(), Is.EqualTo(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)).Within(1e-6), $"{prefix}{p.Name}");
                            break;
                        }

                        var text = p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
                        var expected = value switch
                        {
                            null => "",
                            bool b => b ? "true" : "false",
                            IFormattable x => x.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                            _ => value.ToString(),
                        };
                        Assert.That(text?.ToLowerInvariant(), Is.EqualTo(expected?.ToLowerInvariant()), $"{prefix}{p.Name}");
                        break;
                }

                compared++;
            }
        }
    }
}
