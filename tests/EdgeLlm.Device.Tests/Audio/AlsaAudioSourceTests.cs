using System.Diagnostics;
using EdgeLlm.Device.Audio;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Audio;

/// <summary>
/// The real arecord (alsa-utils; this machine has no sound card, so it fails fast — the messages are asserted), a
/// path that does not exist, and small shell scripts standing in for arecord where a real device state (busy,
/// streaming, stalled) cannot be produced here.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class AlsaAudioSourceTests
{
    private TempFolder _temp = null!;

    [SetUp]
    public void Folder() => _temp = new TempFolder();

    [TearDown]
    public void Clean() => _temp.Dispose();

    private static async Task<AudioSourceException> CaptureFails(AlsaAudioSource source, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        AudioSourceException? caught = null;
        try
        {
            using var cts = new CancellationTokenSource(within + TimeSpan.FromSeconds(30));
            await foreach (var _ in source.CaptureAsync(cts.Token))
            {
            }
        }
        catch (AudioSourceException e)
        {
            caught = e;
        }

        Assert.That(caught, Is.Not.Null, "the capture ended without an error");
        Assert.That(watch.Elapsed, Is.LessThan(within), "the error came too late");
        Assert.That(caught!.Message, Does.Not.Contain('\n'));
        return caught;
    }

    private string Script(string name, string body)
    {
        string path = _temp.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Test]
    public async Task RealArecordNamesAnUnknownDevice()
    {
        await using var source = new AlsaAudioSource("edgellm_no_such_pcm");
        var e = await CaptureFails(source, TimeSpan.FromSeconds(5));
        Assert.That(e.Message, Is.EqualTo("alsa:edgellm_no_such_pcm: no ALSA device named edgellm_no_such_pcm (`arecord -L` lists the names)"));
    }

    [Test]
    public async Task RealArecordNamesAMissingCard()
    {
        await using var source = new AlsaAudioSource("plughw:7,0");
        var e = await CaptureFails(source, TimeSpan.FromSeconds(5));
        Assert.That(e.Message, Does.StartWith("alsa:plughw:7,0: device plughw:7,0: no such sound card"));
    }

    [Test]
    public async Task AMissingArecordSaysWhatToInstall()
    {
        string missing = _temp.File("bin/arecord");
        await using var source = new AlsaAudioSource("default", missing);
        var e = await CaptureFails(source, TimeSpan.FromSeconds(5));
        Assert.That(e.Message, Does.StartWith($"alsa:default: cannot run {missing}:").And.Contain("install alsa-utils"));
    }

    [Test]
    public async Task ABusyDeviceSaysSo()
    {
        string busy = Script("arecord", "echo 'arecord: main:831: audio open error: Device or resource busy' >&2\nexit 1");
        await using var source = new AlsaAudioSource("plughw:1,0", busy);
        var e = await CaptureFails(source, TimeSpan.FromSeconds(5));
        Assert.That(e.Message, Is.EqualTo("alsa:plughw:1,0: device plughw:1,0 is busy: another program is recording"));
    }

    [Test]
    public async Task ArecordGetsTheContractArgumentsAndIsKilledWhenTheConsumerStops()
    {
        string args = _temp.File("args"), pid = _temp.File("pid");
        string fake = Script("arecord", $"echo \"$@\" > '{args}'\necho $$ > '{pid}'\nexec cat /dev/zero");
        await using var source = new AlsaAudioSource("plughw:1,0", fake);
        int frames = 0;
        await foreach (var frame in source.CaptureAsync(CancellationToken.None))
        {
            Assert.That(frame.Length, Is.EqualTo(UtteranceRecorder.FrameSamples));
            Assert.That(frame.ToArray(), Is.All.Zero);
            if (++frames == 10)
            {
                break;
            }
        }

        Assert.That(File.ReadAllText(args).Trim(), Is.EqualTo("-D plughw:1,0 -r 16000 -c 1 -f S16_LE -t raw -q"));
        AssertGone(int.Parse(File.ReadAllText(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test]
    public async Task ADeviceThatDeliversNothingIsReportedAndKilled()
    {
        string pid = _temp.File("pid");
        string stalled = Script("arecord", $"echo $$ > '{pid}'\nexec sleep 60");
        await using var source = new AlsaAudioSource("hw:2,0", stalled, TimeSpan.FromMilliseconds(300));
        var e = await CaptureFails(source, TimeSpan.FromSeconds(5));
        Assert.That(e.Message, Does.StartWith("alsa:hw:2,0: device hw:2,0 delivered no audio for 0.3 s"));
        AssertGone(int.Parse(File.ReadAllText(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test]
    public async Task CancellationEndsAWaitingCaptureAndKillsArecord()
    {
        string pid = _temp.File("pid");
        string stalled = Script("arecord", $"echo $$ > '{pid}'\nexec sleep 60");
        await using var source = new AlsaAudioSource("default", stalled, TimeSpan.FromSeconds(60));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        Assert.That(async () => { await foreach (var _ in source.CaptureAsync(cts.Token)) { } }, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        AssertGone(int.Parse(File.ReadAllText(pid).Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Test]
    public async Task TheRecorderSeesTheSameErrors()
    {
        await using var source = new AlsaAudioSource("edgellm_no_such_pcm");
        Assert.That(async () => await new UtteranceRecorder(new AudioOptions()).RecordAsync(source, CancellationToken.None),
            Throws.TypeOf<AudioSourceException>().With.Message.Contain("no ALSA device named edgellm_no_such_pcm"));
    }

    private static void AssertGone(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Directory.Exists($"/proc/{pid}") && !IsZombie(pid) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.That(Directory.Exists($"/proc/{pid}") && !IsZombie(pid), Is.False, $"arecord stand-in {pid} still runs");
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Trim().StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
