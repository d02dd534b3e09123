using System.Text.Json;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.EdgeRuntime.Tests;

/// <summary>response_format and grammar on the prompt topic, end to end on the embedded broker and the demo model.</summary>
public class StructuredPromptTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private const string Schema = """{"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":10},"age":{"type":"integer","minimum":1,"maximum":99}},"required":["name","age"],"additionalProperties":false}""";

    [Test]
    public async Task AResponseFormatReplyParsesAndValidates()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("s/replies");
        for (int i = 0; i < 3; i++)
        {
            string id = $"s{i}";
            string payload = "{\"id\":\"" + id + "\",\"prompt\":\"Lily was\",\"max_tokens\":120,\"temperature\":" + (i * 0.6).ToString(System.Globalization.CultureInfo.InvariantCulture)
                + ",\"seed\":" + i + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\",\"schema\":" + Schema + "}}}";
            await client.PublishAsync(service.Topics.Prompt, payload, "s/replies");
            var done = await client.WaitFinalAsync(id, Wait);
            Assert.That(done.Type, Is.EqualTo("done"), done.Json.GetRawText());
            Assert.That(done.Str("finish_reason"), Is.EqualTo("stop"));
            Assert.That(done.Json.GetProperty("complete").GetBoolean(), Is.True);
            using var doc = JsonDocument.Parse(done.Text);
            Assert.That(doc.RootElement.GetProperty("name").GetString()!.Length, Is.InRange(1, 10));
            Assert.That(doc.RootElement.GetProperty("age").GetInt32(), Is.InRange(1, 99));
            Assert.That(doc.RootElement.EnumerateObject().Count(), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task MaxTokensCuttingTheGrammarSaysLengthAndIncomplete()
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("c/replies");
        await client.PublishAsync(service.Topics.Prompt, "{\"id\":\"c1\",\"prompt\":\"Lily\",\"max_tokens\":3,\"temperature\":0,\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":" + Schema + "}}}", "c/replies");
        var done = await client.WaitFinalAsync("c1", Wait);
        Assert.That(done.Str("finish_reason"), Is.EqualTo("length"));
        Assert.That(done.Json.GetProperty("complete").GetBoolean(), Is.False);
        Assert.That(done.Text, Does.StartWith("{"));

        await client.PublishAsync(service.Topics.Prompt, Json.Prompt("c2", "Lily", maxTokens: 3), "c/replies");
        var plain = await client.WaitFinalAsync("c2", Wait);
        Assert.That(plain.Json.TryGetProperty("complete", out _), Is.False, "free text has no completeness to report");
    }

    [Test]
    public async Task AGbnfGrammarHoldsOnTheReply()
    {
        const string gbnf = "root ::= (\"yes\" | \"no\") \", because \" [a-z ]{3,30} \".\"";
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("g/replies");
        await client.PublishAsync(service.Topics.Prompt, JsonSerializer.Serialize(new { id = "g1", prompt = "Is the sky blue?", max_tokens = 80, grammar = gbnf }), "g/replies");
        var done = await client.WaitFinalAsync("g1", Wait);
        Assert.That(done.Type, Is.EqualTo("done"), done.Json.GetRawText());
        Assert.That(CompiledGrammar.FromGbnf(gbnf).Matches(done.Text), Is.True, done.Text);
    }

    [TestCase("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"string\",\"pattern\":\"a\"}}}", "'pattern' at /pattern")]
    [TestCase("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}}}", "/maximum")]
    [TestCase("\"grammar\":\"root ::= [a-\"", "line 1, column 10")]
    [TestCase("\"grammar\":\"root ::= \\\"a\\\"\",\"response_format\":{\"type\":\"text\"}", "cannot be used together")]
    [TestCase("\"response_format\":{\"type\":\"xml\"}", "json_schema, json_object or text")]
    public async Task ABadSchemaOrGrammarIsABadRequest(string field, string what)
    {
        await using var service = await InProcessService.StartAsync(InProcessService.Defaults());
        await using var client = await TestClient.ConnectAsync(service.Endpoint);
        await client.SubscribeAsync("b/replies");
        await client.PublishAsync(service.Topics.Prompt, "{\"id\":\"b1\",\"prompt\":\"x\"," + field + "}", "b/replies");
        var reply = await client.WaitFinalAsync("b1", Wait);
        Assert.That(reply.Type, Is.EqualTo("error"));
        Assert.That(reply.Str("code"), Is.EqualTo("bad_request"));
        Assert.That(reply.Str("message"), Does.Contain(what));
    }
}
