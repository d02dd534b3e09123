using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using EdgeLlm.EdgeRuntime.Cli;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels;

namespace EdgeLlm.EdgeRuntime.Tests.Deployment;

/// <summary>hardware/boards/*: each profile is a fragment of the configuration contract; each wiring picture is SVG.</summary>
public class BoardProfileTests
{
    /// <summary>
    /// Every key of section EdgeLlm the service and the device options accept (docs/mqtt.md's table and the device
    /// configuration contract), as configuration paths.
    /// </summary>
    private static readonly HashSet<string> AllowedKeys =
    [
        "ModelPath", "Threads", "ContextLength", "KvCache", "DeviceId", "QueueLength", "MaxPromptLength", "MaxPayloadBytes",
        "DefaultMaxTokens", "Temperature", "TopK", "TopP", "RepetitionPenalty", "FleetGroup", "Broker", "MqttPort",
        "BindAddress", "Username", "Password", "ClientId", "SessionExpirySeconds", "KeepAliveSeconds",
        "ReconnectMinDelayMs", "ReconnectMaxDelayMs", "Tls:Enabled", "Tls:CaFile", "Tls:ClientCertificateFile",
        "Tls:ClientKeyFile", "Tls:ClientCertificatePassword", "Tls:AllowUntrusted", "HomeAssistantDiscovery",
        "HomeAssistantPrefix", "ShutdownTimeoutSeconds",
        "Gpio:Enabled", "Gpio:Chip", "Gpio:Driver", "Gpio:ButtonLine", "Gpio:ActiveLow", "Gpio:LedLine", "Gpio:DebounceMs",
        "Gpio:ShortPressMs", "Gpio:LongHoldMs",
        "Audio:Device", "Audio:MaxUtteranceSeconds", "Audio:SilenceMs", "Audio:StartTimeoutSeconds", "Audio:ThresholdDb",
        "Speech:Engine", "Speech:Grammar", "Speech:PocketSphinxModel", "Speech:WhisperModel", "Speech:Language",
        "Voice:Enabled", "Voice:Speaker", "Voice:Hermes", "Voice:SiteId", "Voice:Espeak",
        "Power:Source", "Power:I2cBus", "Power:I2cAddress", "Power:ShuntOhms", "Power:MaxCurrentAmps", "Power:HwmonRoot",
        "Power:PowercapRoot", "Power:Pi5Correction:A", "Power:Pi5Correction:B", "Power:EstimatedIdleWatts",
        "Power:EstimatedWattsPerCore", "Power:SampleHz", "Power:PublishIntervalSeconds",
        "Energy:Mode",
    ];

    private static readonly Dictionary<string, string[]> Choices = new()
    {
        ["KvCache"] = ["auto", "f32", "f16", "q8_0"],
        ["Gpio:Driver"] = ["auto", "libgpiod", "libgpiod2"],
        ["Power:Source"] = ["auto", "ina219", "ina236", "hwmon", "rapl", "pi5-pmic", "estimated"],
        ["Speech:Engine"] = ["pocketsphinx", "whisper"],
        ["Energy:Mode"] = ["off", "efficient", "performance"],
    };

    private static string BoardDir(string board) => Path.Combine(InstallScript.HardwareDir, "boards", board);

    private static Dictionary<string, JsonNode> Leaves(JsonObject o, string prefix = "")
    {
        var d = new Dictionary<string, JsonNode>();
        foreach (var (k, v) in o)
        {
            if (v is JsonObject child)
            {
                foreach (var (kk, vv) in Leaves(child, prefix + k + ":"))
                {
                    d[kk] = vv;
                }
            }
            else
            {
                d[prefix + k] = v!;
            }
        }

        return d;
    }

    /// <summary>The JSON type; true and false are one type (a profile may switch a default off on).</summary>
    private static string Kind(JsonNode node) => node.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? "boolean" : node.GetValueKind().ToString();

    private static JsonObject Profile(string board)
    {
        var text = File.ReadAllText(Path.Combine(BoardDir(board), "appsettings.json"));
        var root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow })!.AsObject();
        Assert.That(root.Select(p => p.Key), Is.EqualTo(new[] { "EdgeLlm" }), "a fragment of section EdgeLlm only");
        return root["EdgeLlm"]!.AsObject();
    }

    [TestCase("pi5", "pinctrl-rp1")]
    [TestCase("pi4", "pinctrl-bcm2711")]
    [TestCase("zero2w", "pinctrl-bcm2835")]
    public void TheProfileUsesOnlyContractKeysAndNamesTheBoardsChip(string board, string chip)
    {
        var leaves = Leaves(Profile(board));

        Assert.That(leaves.Keys.Where(k => !AllowedKeys.Contains(k)), Is.Empty, "keys outside the configuration contract");
        Assert.That((string?)leaves["Gpio:Chip"], Is.EqualTo(chip));
        Assert.That((bool)leaves["Gpio:Enabled"], Is.True);
        Assert.That((int)leaves["Gpio:ButtonLine"], Is.EqualTo(17), "the wiring: button on GPIO17 (pin 11)");
        Assert.That((int)leaves["Gpio:LedLine"], Is.EqualTo(27), "the wiring: LED on GPIO27 (pin 13)");
        Assert.That((int)leaves["Power:I2cBus"], Is.EqualTo(1), "the wiring: INA219 on I2C1 (pins 3 and 5)");
        foreach (var key in new[] { "Threads", "ContextLength", "KvCache", "Power:Source" })
        {
            Assert.That(leaves.ContainsKey(key), Is.True, $"the profile sets {key}");
        }

        foreach (var (key, allowed) in Choices.Where(c => leaves.ContainsKey(c.Key)))
        {
            Assert.That((string?)leaves[key], Is.AnyOf(allowed), key);
        }

        // where the service defaults have the key, the profile's value has the same JSON type
        var defaults = Leaves(JsonNode.Parse(File.ReadAllText(Path.Combine(InstallScript.HardwareDir, "systemd", "appsettings.json")))!["EdgeLlm"]!.AsObject());
        foreach (var (key, value) in leaves.Where(l => defaults.ContainsKey(l.Key)))
        {
            Assert.That(Kind(value), Is.EqualTo(Kind(defaults[key])), key);
        }
    }

    [TestCase("pi5")]
    [TestCase("pi4")]
    [TestCase("zero2w")]
    public void TheProfileLoadsTheBundledModel(string board)
    {
        // the default install runs the demo model with the profile's engine settings: they must suit it
        var p = Profile(board);
        using var lm = LanguageModel.Load(TestEnvironment.ModelPath, new ModelLoadOptions
        {
            Threads = 1,
            ContextLength = (int)p["ContextLength"]!,
            KvCacheType = KvCacheOption.Parse((string)p["KvCache"]!),
        });
        Assert.That(lm.ContextLength, Is.GreaterThan(0));
    }

    [Test]
    public void TheZero2WKeepsAShortContext()
    {
        var ctx = (int)Profile("zero2w")["ContextLength"]!;
        Assert.That(ctx, Is.InRange(1, 1024), "512 MB: a short context (see hardware/boards/zero2w/README.md)");
    }

    [TestCase("pi5")]
    [TestCase("pi4")]
    [TestCase("zero2w")]
    public void TheWiringPictureIsSvgWithEveryPinAndPart(string board)
    {
        var doc = XDocument.Load(Path.Combine(BoardDir(board), "wiring.svg"));
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.That(doc.Root!.Name, Is.EqualTo(svg + "svg"));
        var texts = doc.Descendants(svg + "text").Select(t => t.Value).ToList();
        for (int pin = 1; pin <= 40; pin++)
        {
            Assert.That(texts, Does.Contain(pin.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"pin {pin} is numbered");
        }

        foreach (var label in new[] { "GPIO17", "GPIO27", "GPIO2 SDA", "GPIO3 SCL", "VIN+", "VIN−", "330 Ω resistor", "INA219 breakout", "push button", "LED", "USB microphone" })
        {
            Assert.That(texts, Does.Contain(label));
        }
    }

    [TestCase("pi5")]
    [TestCase("pi4")]
    [TestCase("zero2w")]
    public void TheBoardReadmeHasTheWiringTable(string board)
    {
        var text = File.ReadAllText(Path.Combine(BoardDir(board), "README.md"));
        foreach (var row in new[] { "| **11** | GPIO17 |", "| **13** | GPIO27 |", "| **3** | GPIO2 (I2C1 SDA) |", "| **5** | GPIO3 (I2C1 SCL) |", "| **1** | 3V3 |", "| **6** | GND |", "330 Ω", "VIN+", "VIN−", "![wiring](wiring.svg)" })
        {
            Assert.That(text, Does.Contain(row));
        }
    }
}
