using System.Globalization;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Power;

/// <summary><c>edgellm serve</c> with Energy:Mode set, as a child process: the choice and its reasons in the status.</summary>
public class EnergyStatusTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [TestCase("efficient")]
    [TestCase("performance")]
    public async Task TheStatusSaysHowTheThreadCountWasChosen(string mode)
    {
        var port = TestEnvironment.FreePort();
        var device = "en" + Guid.NewGuid().ToString("N")[..6];
        var config = Path.Combine(Path.GetTempPath(), $"edgellm-energy-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, "{\"EdgeLlm\": {\"Threads\": 1, \"Energy\": {\"Mode\": \"" + mode + "\"}, \"Power\": {\"Source\": \"estimated\"}}}");
        try
        {
            using var child = ChildService.Start("serve", "--config", config, "--model", TestEnvironment.ModelPath,
                "--mqtt-port", port.ToString(CultureInfo.InvariantCulture), "--device-id", device);
            await TestEnvironment.WaitForPortAsync(port, Wait);
            await using var client = await TestClient.ConnectAsync($"127.0.0.1:{port}");
            await client.SubscribeAsync($"edgellm/{device}/status");
            var all = await client.WaitAsync(a => a.Any(r => r.Str("state") == "online"), Wait, "the status");
            var status = all.First(r => r.Str("state") == "online");
            Assert.That(status.Str("energy_mode"), Is.EqualTo(mode));
            Assert.That(status.Str("power_source"), Is.EqualTo("estimated"));
            Assert.That(status.Json.GetProperty("joules_per_token_by_threads").EnumerateObject(), Is.Empty, "nothing measured from an estimate");
            if (mode == "efficient")
            {
                Assert.That(status.Int("threads"), Is.EqualTo(1), "the configured threads");
                Assert.That(status.Str("energy_mode_note"), Does.Contain("'estimated'").And.Contain("not a measurement"));
                Assert.That(child.Stderr, Does.Contain("efficient mode does not choose from it"), "logged too");
            }
            else
            {
                Assert.That(status.Int("threads"), Is.EqualTo(Environment.ProcessorCount), "every core");
                Assert.That(status.Json.GetProperty("energy_mode_note").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
            }
        }
        finally
        {
            File.Delete(config);
        }
    }
}
