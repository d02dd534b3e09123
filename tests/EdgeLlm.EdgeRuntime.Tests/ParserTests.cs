using System.Text;
using EdgeLlm.EdgeRuntime.Service;

namespace EdgeLlm.EdgeRuntime.Tests;

public class ParserTests
{
    private static readonly RequestLimits Limits = new() { MaxPayloadBytes = 4096, MaxPromptLength = 100, DefaultMaxTokens = 50 };

    private static ParseResult Parse(string json) => PromptParser.Parse(Encoding.UTF8.GetBytes(json), Limits, () => "generated");

    [Test]
    public void FullRequestIsRead()
    {
        var r = Parse("""{"id":"a1","prompt":"Once","max_tokens":7,"temperature":0.5,"top_k":3,"top_p":0.9,"seed":42,"stop":["."],"stream":false,"reply_to":"my/replies"}""");
        Assert.That(r.IsError, Is.False, r.ErrorMessage);
        var q = r.Request!;
        Assert.Multiple(() =>
        {
            Assert.That(q.Id, Is.EqualTo("a1"));
            Assert.That(q.MaxTokens, Is.EqualTo(7));
            Assert.That(q.Sampling.Temperature, Is.EqualTo(0.5f));
            Assert.That(q.Sampling.TopK, Is.EqualTo(3));
            Assert.That(q.Sampling.TopP, Is.EqualTo(0.9f));
            Assert.That(q.Sampling.Seed, Is.EqualTo(42UL));
            Assert.That(q.Stop, Is.EqualTo(new[] { "." }));
            Assert.That(q.Stream, Is.False);
            Assert.That(q.ReplyTo, Is.EqualTo("my/replies"));
        });
    }

    [Test]
    public void MinimalRequestGetsDefaultsAndAnId()
    {
        var r = Parse("""{"prompt":"Once","top_p":null}""");
        Assert.That(r.Request!.Id, Is.EqualTo("generated"));
        Assert.That(r.Request.MaxTokens, Is.EqualTo(50));
        Assert.That(r.Request.Stream, Is.True);
    }

    [TestCase("", "bad_request", "empty payload")]
    [TestCase("{", "bad_request", "malformed JSON")]
    [TestCase("[1]", "bad_request", "expected a JSON object")]
    [TestCase("\"x\"", "bad_request", "expected a JSON object")]
    [TestCase("""{"id":"a"}""", "bad_request", "prompt is required")]
    [TestCase("""{"prompt":""}""", "bad_request", "prompt is empty")]
    [TestCase("""{"prompt":null}""", "bad_request", "prompt must be a string")]
    [TestCase("""{"prompt":5}""", "bad_request", "prompt must be a string")]
    [TestCase("""{"prompt":"x","colour":1}""", "bad_request", "unknown field 'colour'")]
    [TestCase("""{"prompt":"x","prompt":"y"}""", "bad_request", "appears twice")]
    [TestCase("""{"prompt":"x","max_tokens":"5"}""", "bad_request", "max_tokens must be an integer")]
    [TestCase("""{"prompt":"x","max_tokens":1.5}""", "bad_request", "max_tokens must be an integer")]
    [TestCase("""{"prompt":"x","max_tokens":0}""", "bad_request", "max_tokens must be in")]
    [TestCase("""{"prompt":"x","temperature":-1}""", "bad_request", "temperature")]
    [TestCase("""{"prompt":"x","temperature":"hot"}""", "bad_request", "temperature must be a number")]
    [TestCase("""{"prompt":"x","top_p":0}""", "bad_request", "top_p")]
    [TestCase("""{"prompt":"x","top_p":1.5}""", "bad_request", "top_p")]
    [TestCase("""{"prompt":"x","top_k":-3}""", "bad_request", "top_k")]
    [TestCase("""{"prompt":"x","seed":-1}""", "bad_request", "seed")]
    [TestCase("""{"prompt":"x","stop":"."}""", "bad_request", "stop must be an array")]
    [TestCase("""{"prompt":"x","stop":[1]}""", "bad_request", "stop must be an array of strings")]
    [TestCase("""{"prompt":"x","stream":"yes"}""", "bad_request", "stream must be true or false")]
    [TestCase("""{"prompt":"x","id":7}""", "bad_request", "id must be a string")]
    [TestCase("""{"prompt":"x","id":"a/b"}""", "bad_request", "id must be")]
    [TestCase("""{"prompt":"x","reply_to":"a/#"}""", "bad_request", "reply_to")]
    [TestCase("""{"prompt":"x","reply_to":"$SYS/x"}""", "bad_request", "reply_to")]
    [TestCase("""{"prompt":"\ud800"}""", "bad_request", "invalid")]
    public void BadRequestsAreNamed(string json, string code, string message)
    {
        var r = Parse(json);
        Assert.That(r.IsError, Is.True);
        Assert.That(r.ErrorCode, Is.EqualTo(code));
        Assert.That(r.ErrorMessage, Does.Contain(message));
    }

    [Test]
    public void InvalidUtf8IsRejected()
    {
        var r = PromptParser.Parse([.. "{\"prompt\":\""u8, 0xC3, 0x28, .. "\"}"u8], Limits, () => "g");
        Assert.That(r.ErrorCode, Is.EqualTo(ErrorCodes.BadRequest));
        Assert.That(r.ErrorMessage, Does.Contain("UTF-8"));
    }

    [Test]
    public void OversizedPayloadAndPromptAreTooLong()
    {
        Assert.That(Parse("{\"prompt\":\"" + new string('a', 5000) + "\"}").ErrorCode, Is.EqualTo(ErrorCodes.TooLong));
        Assert.That(Parse("{\"prompt\":\"" + new string('a', 101) + "\"}").ErrorCode, Is.EqualTo(ErrorCodes.TooLong));
    }

    [Test]
    public void ErrorsKeepTheIdAndReplyToForRouting()
    {
        var r = Parse("""{"id":"q9","reply_to":"me/x","prompt":"x","temperature":-2}""");
        Assert.That(r.Id, Is.EqualTo("q9"));
        Assert.That(r.ReplyTo, Is.EqualTo("me/x"));
    }
}
