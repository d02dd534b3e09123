using System.Diagnostics;
using EdgeLlm.EdgeRuntime.Tests.Infrastructure;

namespace EdgeLlm.EdgeRuntime.Tests.Cli;

/// <summary><c>edgellm listen</c> as a user runs it: a child process on a WAV that espeak-ng speaks in the test, with
/// Debian's PocketSphinx and a JSGF grammar of commands.</summary>
public class ListenCommandTests
{
    private const string Grammar = """
        #JSGF V1.0;
        grammar commands;
        public <command> = turn (on | off) the (kitchen | bedroom) light | what time is it;
        """;

    private string _folder = null!;
    private string _grammar = null!;

    [OneTimeSetUp]
    public void Folder()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"edgellm-listen-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
        _grammar = Path.Combine(_folder, "commands.jsgf");
        File.WriteAllText(_grammar, Grammar);
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_folder, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
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

    private static Task<(int Exit, string Out, string Err)> Listen(params string[] args) =>
        Run("dotnet", [TestEnvironment.EdgeLlmDll, "listen", .. args]);

    private async Task<string> Say(string text)
    {
        string wav = Path.Combine(_folder, $"{Guid.NewGuid():N}.wav");
        var (exit, _, err) = await Run("espeak-ng", "-s", "140", "-w", wav, text);
        Assert.That(exit, Is.Zero, err);
        return wav;
    }

    [TestCase("turn off the kitchen light")]
    [TestCase("what time is it")]
    public async Task ACommandIsPrintedExactly(string command)
    {
        var (exit, output, err) = await Listen("--wav", await Say(command), "--grammar", _grammar);
        Assert.That(exit, Is.Zero, err);
        Assert.That(output, Is.EqualTo(command + "\n"));
        Assert.That(err, Does.Match(@"^likelihood [01]\.\d{3}, \d+\.\d\d s of audio .* by pocketsphinx-0\.8 \(grammar commands\.jsgf\)\n$"));
        Assert.That(err, Does.Not.Contain("INFO:"), "PocketSphinx's log stays off stderr");
    }

    [Test]
    public async Task DictationPrintsWords()
    {
        var (exit, output, err) = await Listen("--wav", await Say("the weather is nice today"));
        Assert.That(exit, Is.Zero, err);
        Assert.That(output.Trim(), Is.Not.Empty);
        Assert.That(err, Does.Contain("(dictation)"));
    }

    [Test]
    public async Task ABadFileIsOneLineAndNonZero()
    {
        string text = Path.Combine(_folder, "notes.wav");
        File.WriteAllText(text, "hello");
        var (exit, output, err) = await Listen("--wav", text, "--grammar", _grammar);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(err, Is.EqualTo($"edgellm listen: {text}: not a RIFF/WAVE file: give a PCM WAV file (e.g. `sox IN -b 16 OUT.wav`)\n"));

        string missing = Path.Combine(_folder, "missing.wav");
        (exit, _, err) = await Listen("--wav", missing);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(err, Is.EqualTo($"edgellm listen: {missing}: no such file\n"));
    }

    [Test]
    public async Task AMissingGrammarIsOneLineAndNonZero()
    {
        string missing = Path.Combine(_folder, "none.jsgf");
        var (exit, _, err) = await Listen("--wav", await Say("what time is it"), "--grammar", missing);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(err, Is.EqualTo($"edgellm listen: grammar file {missing} not found\n"));
    }

    [Test]
    public async Task ABadDeviceIsOneLineAndNonZero()
    {
        var (exit, output, err) = await Listen("--device", "edgellm_no_such_pcm", "--grammar", _grammar);
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(err.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1],
            Is.EqualTo("edgellm listen: alsa:edgellm_no_such_pcm: no ALSA device named edgellm_no_such_pcm (`arecord -L` lists the names)"));
    }

    [Test]
    public async Task OneSourceMustBeGiven()
    {
        var (exit, _, err) = await Listen("--grammar", _grammar);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(err, Does.Contain("give --wav FILE or --device ALSA_DEVICE"));
    }
}
