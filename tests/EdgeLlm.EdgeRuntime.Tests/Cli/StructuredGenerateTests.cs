using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.EdgeRuntime.Tests.Cli;

/// <summary>`edgellm generate --json-schema / --grammar` as a user runs it: a child process on the bundled model.</summary>
public class StructuredGenerateTests
{
    private const string Schema = """
        {"type":"object","properties":{
          "device":{"enum":["light","fan","heater"]},
          "room":{"type":"string","minLength":1,"maxLength":10},
          "level":{"type":"integer","minimum":0,"maximum":100}},
         "required":["device","room","level"],"additionalProperties":false}
        """;

    private static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        psi.ArgumentList.Add(TestEnvironment.EdgeLlmDll);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static string Write(string name, string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgellm-structured-{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, text);
        return path;
    }

    [TestCase("0", "1")]
    [TestCase("0.9", "7")]
    [TestCase("1.3", "8")]
    public async Task JsonSchemaOutputParsesAndValidates(string temperature, string seed)
    {
        string schema = Write("schema.json", Schema);
        try
        {
            var (exit, output, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "-p", "Lily turned on the", "-n", "200",
                "--temperature", temperature, "--seed", seed, "--json-schema", schema);
            Assert.That(exit, Is.Zero, err);
            Assert.That(err, Does.Contain("finish stop"));
            using var doc = JsonDocument.Parse(output);
            var root = doc.RootElement;
            Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "device", "room", "level" }));
            Assert.That(root.GetProperty("device").GetString(), Is.AnyOf("light", "fan", "heater"));
            Assert.That(root.GetProperty("room").GetString()!.EnumerateRunes().Count(), Is.InRange(1, 10));
            Assert.That(root.GetProperty("level").GetInt32(), Is.InRange(0, 100));
        }
        finally
        {
            File.Delete(schema);
        }
    }

    [Test]
    public async Task GrammarOutputMatchesTheGrammar()
    {
        const string gbnf = "root ::= \"The \" animal \" is \" (\"happy\" | \"sad\") \".\"\nanimal ::= \"cat\" | \"dog\" | [a-z]{3,8}\n";
        string file = Write("g.gbnf", gbnf);
        try
        {
            var (exit, output, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "-p", "Once upon a time", "-n", "60", "--temperature", "0.8", "--seed", "3", "--grammar", file);
            Assert.That(exit, Is.Zero, err);
            string text = output.TrimEnd('\n');
            Assert.That(new GrammarState(CompiledGrammar.FromGbnf(gbnf)).Matches(Encoding.UTF8.GetBytes(text)), Is.True, text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [TestCase("{\"type\":\"string\",\"pattern\":\"^a\"}", "'pattern' at /pattern")]
    [TestCase("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\",\"minimum\":9,\"maximum\":3}}}", "/properties/x/maximum")]
    [TestCase("{\"type\":", "not valid JSON")]
    public async Task ABadSchemaIsOneLineAndNonZero(string schemaText, string what)
    {
        string schema = Write("bad.json", schemaText);
        try
        {
            var (exit, output, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "--json-schema", schema);
            Assert.That(exit, Is.Not.Zero);
            Assert.That(output, Is.Empty, "nothing generated");
            Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.StartWith("edgellm: ").And.Contain(what));
        }
        finally
        {
            File.Delete(schema);
        }
    }

    [Test]
    public async Task AGbnfSyntaxErrorSaysWhere()
    {
        string file = Write("bad.gbnf", "root ::= \"a\"\nitem ::= [a-z\n");
        try
        {
            var (exit, _, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "--grammar", file);
            Assert.That(exit, Is.Not.Zero);
            Assert.That(err.Trim().Split('\n'), Has.Length.EqualTo(1), err);
            Assert.That(err, Does.Contain("line 2, column 10"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task ABudgetTooSmallForTheSchemaFails()
    {
        string schema = Write("schema.json", Schema);
        try
        {
            var (exit, output, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "-p", "Lily", "-n", "4", "--temperature", "0", "--json-schema", schema);
            Assert.That(exit, Is.Not.Zero);
            Assert.That(output, Does.StartWith("{"));
            Assert.That(err, Does.Contain("finish length").And.Contain("incomplete"));
        }
        finally
        {
            File.Delete(schema);
        }
    }

    [Test]
    public async Task BothConstraintsAtOnceAreRefused()
    {
        string schema = Write("s.json", Schema), gbnf = Write("g.gbnf", "root ::= \"a\"");
        try
        {
            var (exit, _, err) = await Run("generate", "-m", TestEnvironment.ModelPath, "--json-schema", schema, "--grammar", gbnf);
            Assert.That(exit, Is.Not.Zero);
            Assert.That(err, Does.Contain("cannot be used together"));
        }
        finally
        {
            File.Delete(schema);
            File.Delete(gbnf);
        }
    }
}
