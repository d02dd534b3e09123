using System.Diagnostics;
using System.Text.Json;
using EdgeLlm.EdgeRuntime.Service;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels.Grammar;
using Microsoft.Extensions.Configuration;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>
/// Actions end to end on the embedded broker and the real demo model: intent text → a call the grammar allows →
/// validation → the payload published on the action's topic; a dry run publishes nothing.
/// </summary>
public class ActionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Home Assistant MQTT lights: the JSON schema light's command topic, and a plain switch.</summary>
    public const string HomeAssistantActions = """
        [
          {"name": "light_set", "description": "Switch the kitchen light on or off, optionally at a brightness.",
           "arguments": {"type": "object", "properties": {
               "state": {"enum": ["ON", "OFF"]},
               "brightness": {"type": "integer", "minimum": 0, "maximum": 255}},
             "required": ["state"], "additionalProperties": false},
           "topic": "home/kitchen/light/set",
           "payload": {"state": "{{arguments.state}}", "brightness": "{{arguments.brightness}}"},
           "examples": [{"text": "turn on the kitchen light", "arguments": {"state": "ON"}},
                        {"text": "dim the kitchen light to half", "arguments": {"state": "ON", "brightness": 128}}]},
          {"name": "fan_switch", "description": "Switch the fan.",
           "arguments": {"type": "object", "properties": {"state": {"enum": ["ON", "OFF"]}}, "required": ["state"], "additionalProperties": false},
           "topic": "home/fan/switch/set",
           "payload": "{{arguments.state}}",
           "examples": [{"text": "stop the fan", "arguments": {"state": "OFF"}}]}
        ]
        """;

    /// <summary>The request id of a reply; actions published as plain text (the fan's "ON") have none.</summary>
    private static string? IdOf(Received r) => r.Json.ValueKind == JsonValueKind.Object ? r.Id : null;

    private static ServiceOptions WithActions(string actions) => InProcessService.Defaults() with { Actions = ActionRegistry.Parse(actions) };

    [Test]
    public async Task AnIntentPublishesAValidatedActionWithItsPayload()
    {
        await using var service = await InProcessService.StartAsync(WithActions(HomeAssistantActions));
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("home/#");
        await client.SubscribeAsync("my/intents");
        var registry = service.Options.Actions!;

        foreach (var (id, text) in new[] { ("i1", "turn off the kitchen light"), ("i2", "please switch the fan on"), ("i3", "make the kitchen bright") })
        {
            int before = client.All.Count(r => r.Topic.StartsWith("home/", StringComparison.Ordinal));
            await client.PublishAsync(service.Topics.Intent, JsonSerializer.Serialize(new { id, text }), "my/intents");
            var reply = (await client.WaitAsync(a => a.Any(r => IdOf(r) == id && r.Type is "action" or "error"), Wait, $"the action of {id}"))
                .First(r => IdOf(r) == id && r.Type is "action" or "error");
            Assert.That(reply.Type, Is.EqualTo("action"), reply.Json.GetRawText());
            Assert.That(reply.Topic, Is.EqualTo("my/intents"), "the MQTT 5 response topic");

            var action = registry.Find(reply.Str("name"));
            Assert.That(action, Is.Not.Null, "only configured actions");
            var args = reply.Json.GetProperty("arguments");
            Assert.That(CompiledGrammar.FromJsonSchema(action!.Arguments).Matches(args.GetRawText()), Is.True, "arguments satisfy the action's schema");
            Assert.That(reply.Str("topic"), Is.EqualTo(action.Topic));
            Assert.That(reply.Json.GetProperty("published").GetBoolean(), Is.True);

            // exactly one message went out, on the action's topic: the template filled with those arguments
            var home = (await client.WaitAsync(a => a.Count(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)) > before, Wait, "the published action"))
                .Where(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)).ToList();
            Assert.That(home, Has.Count.EqualTo(before + 1));
            var published = home[^1];
            Assert.That(published.Topic, Is.EqualTo(action.Topic));
            string state = args.GetProperty("state").GetString()!;
            if (action.Name == "fan_switch")
            {
                Assert.That(published.Json.GetString(), Is.EqualTo(state));
            }
            else
            {
                Assert.That(published.Json.GetProperty("state").GetString(), Is.EqualTo(state));
                Assert.That(published.Json.TryGetProperty("brightness", out var b), Is.EqualTo(args.TryGetProperty("brightness", out var ab)));
                if (ab.ValueKind == JsonValueKind.Number)
                {
                    Assert.That(b.GetInt32(), Is.EqualTo(ab.GetInt32()), "a number stays a number");
                }
            }

            Assert.That(reply.Str("payload"), Is.EqualTo(ActionRegistry.Render(action, args)));
        }
    }

    [Test]
    public async Task ADryRunPublishesNothing()
    {
        await using var service = await InProcessService.StartAsync(WithActions(HomeAssistantActions));
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("home/#");
        await client.SubscribeAsync($"edgellm/{service.Options.DeviceId}/reply/#");

        await client.PublishAsync(service.Topics.Intent, "{\"id\":\"d1\",\"text\":\"turn on the kitchen light\",\"dry_run\":true}");
        var reply = (await client.WaitAsync(a => a.Any(r => IdOf(r) == "d1" && r.Type is "action" or "error"), Wait, "the dry run")).First(r => IdOf(r) == "d1");
        Assert.That(reply.Type, Is.EqualTo("action"), reply.Json.GetRawText());
        Assert.That(reply.Topic, Is.EqualTo(service.Topics.DefaultReply("d1")));
        Assert.That(reply.Json.GetProperty("published").GetBoolean(), Is.False);
        Assert.That(reply.Str("payload"), Is.Not.Empty, "what would have been published");

        // a real intent after it: its action is the first thing on home/#, so the dry run's would have come before
        await client.PublishAsync(service.Topics.Intent, "{\"id\":\"d2\",\"text\":\"turn on the kitchen light\"}");
        await client.WaitAsync(a => a.Any(r => IdOf(r) == "d2" && r.Type == "action"), Wait, "the real one");
        var all = await client.WaitAsync(a => a.Any(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)), Wait, "the real action");
        Assert.That(all.Count(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)), Is.EqualTo(1), "only the real intent published");
        Assert.That(client.All.Any(r => IdOf(r) == "d1" && r.Type is "token" or "done"), Is.False, "an intent's generation is not streamed as a prompt reply");
    }

    [Test]
    public async Task ACallOutsideTheRegistryOrAGrammarDeadEndPublishesNothing()
    {
        // The engine is scripted here to do what the grammar makes impossible: the service's own check must hold.
        var engine = new ScriptedEngine(contextLength: 8192);
        engine.Default = new GenerationScript { Tokens = ["{\"action\": \"heater\", ", "\"arguments\": {\"state\": \"ON\"}}"] };
        await using var service = await InProcessService.StartAsync(WithActions(HomeAssistantActions), engine: engine);
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("home/#");
        await client.SubscribeAsync("v/replies");

        await client.PublishAsync(service.Topics.Intent, "{\"id\":\"v1\",\"text\":\"heat the room\"}", "v/replies");
        var outside = (await client.WaitAsync(a => a.Any(r => IdOf(r) == "v1" && r.Type == "error"), Wait, "the refusal")).First(r => IdOf(r) == "v1");
        Assert.That(outside.Str("code"), Is.EqualTo("internal"));
        Assert.That(outside.Str("message"), Does.Contain("'heater'").And.Contain("not a configured action"));

        engine.Default = new GenerationScript { Tokens = ["{\"action\": \"fan_switch\", \"arguments\": {\"state\": \"MAYBE\"}}"] };
        await client.PublishAsync(service.Topics.Intent, "{\"id\":\"v2\",\"text\":\"fan\"}", "v/replies");
        var badArgs = (await client.WaitAsync(a => a.Any(r => IdOf(r) == "v2" && r.Type == "error"), Wait, "the refusal")).First(r => IdOf(r) == "v2");
        Assert.That(badArgs.Str("message"), Does.Contain("do not satisfy its schema"));

        engine.Default = new GenerationScript { ThrowAt = 3, Failure = new EdgeLlm.Kernels.Grammar.GrammarDeadEndException(12) };
        await client.PublishAsync(service.Topics.Intent, "{\"id\":\"v3\",\"text\":\"light\"}", "v/replies");
        var dead = (await client.WaitAsync(a => a.Any(r => IdOf(r) == "v3" && r.Type == "error"), Wait, "the dead end")).First(r => IdOf(r) == "v3");
        Assert.That(dead.Str("code"), Is.EqualTo("internal"));
        Assert.That(dead.Str("message"), Does.Contain("no token of the vocabulary can continue the grammar"));

        // every intent was generated under the registry's grammar, and nothing reached an action topic
        Assert.That(engine.Generated, Has.Count.EqualTo(3));
        Assert.That(client.All.Any(r => r.Topic.StartsWith("home/", StringComparison.Ordinal)), Is.False);
    }

    [TestCase("{\"text\": 5}", "text must be a string")]
    [TestCase("{\"id\":\"b1\"}", "text is required")]
    [TestCase("{\"id\":\"b1\",\"text\":\"x\",\"action\":\"fan\"}", "unknown field 'action'")]
    [TestCase("not json", "malformed JSON")]
    public async Task ABadIntentIsABadRequest(string payload, string what)
    {
        await using var service = await InProcessService.StartAsync(WithActions(HomeAssistantActions));
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("bad/replies");
        await client.PublishAsync(service.Topics.Intent, payload, "bad/replies");
        var reply = (await client.WaitAsync(a => a.Any(r => r.Type == "error"), Wait, "the error")).First(r => r.Type == "error");
        Assert.That(reply.Str("code"), Is.EqualTo("bad_request"));
        Assert.That(reply.Str("message"), Does.Contain(what));
    }

    [Test]
    public async Task WithoutActionsTheIntentTopicIsNotServed()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync($"edgellm/{service.Options.DeviceId}/#");
        await client.PublishAsync(service.Topics.Intent, "{\"id\":\"n1\",\"text\":\"turn on the light\"}");
        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("p1", "Once upon a time", maxTokens: 4));
        await client.WaitFinalAsync("p1", Wait);
        Assert.That(client.All.Any(r => IdOf(r) == "n1" && r.Type != ""), Is.False);
    }

    [TestCase("{{arguments.colour}}", "colour")]
    [TestCase("{\"state\": \"{{arguments.state}}\", \"c\": \"{{ arguments.level }}\"}", "level")]
    public void ATemplateNamingAMissingArgumentIsAStartUpErrorNamingTheAction(string template, string missing)
    {
        string config = Path.Combine(Path.GetTempPath(), $"edgellm-actions-{Guid.NewGuid():N}.json");
        string payloadJson = template.StartsWith("{\"", StringComparison.Ordinal) ? template : JsonSerializer.Serialize(template);
        File.WriteAllText(config, """
            {"EdgeLlm": {"Actions": [
              {"name": "ok_action", "arguments": {"type": "object", "properties": {"state": {"enum": ["ON"]}}}, "topic": "a/b", "payload": "{{arguments.state}}"},
              {"name": "broken_light", "arguments": {"type": "object", "properties": {"state": {"enum": ["ON", "OFF"]}}}, "topic": "x/y", "payload": PAYLOAD}
            ]}}
            """.Replace("PAYLOAD", payloadJson, StringComparison.Ordinal));
        try
        {
            var configuration = ServiceHost.BuildConfiguration(config, new Dictionary<string, string?>());
            var errors = new List<string>();
            var options = ServiceOptions.Read(configuration, errors);
            Assert.That(options.Actions, Is.Null);
            Assert.That(errors, Has.Some.Contains("broken_light").And.Contains(missing));
            Assert.That(errors, Has.None.Contains("ok_action"));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Test]
    public void ActionsFromAConfigFileKeepTheirSchemaTypes()
    {
        string config = Path.Combine(Path.GetTempPath(), $"edgellm-actions-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, "{\"EdgeLlm\": {\"DeviceId\": \"kitchen\", \"ModelPath\": " + JsonSerializer.Serialize(TestEnvironment.ModelPath) + ", \"Actions\": " + HomeAssistantActions + "}}");
        try
        {
            var errors = new List<string>();
            var options = ServiceOptions.Read(ServiceHost.BuildConfiguration(config, new Dictionary<string, string?>()), errors);
            Assert.That(errors, Is.Empty);
            Assert.That(options.Actions!.Actions.Select(a => a.Name), Is.EqualTo(new[] { "light_set", "fan_switch" }));
            Assert.That(options.Actions.Grammar.Matches("{\"action\": \"light_set\", \"arguments\": {\"state\": \"ON\", \"brightness\": 200}}"), Is.True);
            Assert.That(options.Actions.Grammar.Matches("{\"action\": \"light_set\", \"arguments\": {\"state\": \"ON\", \"brightness\": 256}}"), Is.False, "the integer bound came through as a number");
            Assert.That(options.Actions.Grammar.Matches("{\"action\": \"heater\", \"arguments\": {\"state\": \"ON\"}}"), Is.False, "no action outside the registry");
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Test]
    public async Task ServeRefusesABrokenActionAtStartUp()
    {
        string config = Path.Combine(Path.GetTempPath(), $"edgellm-actions-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, """{"EdgeLlm": {"Actions": [{"name": "lamp", "arguments": {"type": "object", "properties": {}}, "topic": "l/set", "payload": "{{arguments.on}}"}]}}""");
        try
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in new[] { TestEnvironment.EdgeLlmDll, "serve", "--config", config, "--mqtt-port", TestEnvironment.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(Wait);
            await p.WaitForExitAsync(cts.Token);
            Assert.That(p.ExitCode, Is.Not.Zero);
            Assert.That(await err, Does.Contain("action 'lamp'").And.Contain("arguments.on"));
        }
        finally
        {
            File.Delete(config);
        }
    }
}
