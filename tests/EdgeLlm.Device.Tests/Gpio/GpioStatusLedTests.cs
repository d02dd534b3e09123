using System.Device.Gpio;
using EdgeLlm.Device.Gpio;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Gpio;

public class GpioStatusLedTests
{
    private const int Line = 27;
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private FakeTimeProvider _time = null!;
    private FakeGpioDriver _driver = null!;
    private GpioController _controller = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        _driver = new FakeGpioDriver(_time);
        _controller = new GpioController(_driver);
    }

    [TearDown]
    public void TearDown()
    {
        _controller.Dispose();
        _driver.Dispose();
    }

    /// <summary>The LED's level sampled every millisecond for <paramref name="ms"/> ms as a string of 1 and 0.</summary>
    private string Sample(int ms)
    {
        var chars = new char[ms];
        for (var i = 0; i < ms; i++)
        {
            chars[i] = _driver.LevelOf(Line) == PinValue.High ? '1' : '0';
            _time.Advance(Ms);
        }

        return new string(chars);
    }

    private static string Pattern(int onMs, int offMs, int totalMs) =>
        string.Concat(Enumerable.Repeat(new string('1', onMs) + new string('0', offMs), totalMs / (onMs + offMs) + 1))[..totalMs];

    [Test]
    public void OpensAsAnOutputThatIsOff()
    {
        using var led = new GpioStatusLed(_controller, Line, _time);
        Assert.That(_driver.ModeOf(Line), Is.EqualTo(PinMode.Output));
        Assert.That(led.State, Is.EqualTo(LedState.Idle));
        Assert.That(Sample(2000), Is.EqualTo(new string('0', 2000)));
    }

    [Test]
    public void ListeningIsSteadilyOn()
    {
        using var led = new GpioStatusLed(_controller, Line, _time);
        led.Show(LedState.Listening);
        Assert.That(Sample(3000), Is.EqualTo(new string('1', 3000)));
    }

    [Test]
    public void ThinkingBlinksSlowlyAndErrorFast()
    {
        using var led = new GpioStatusLed(_controller, Line, _time);
        led.Show(LedState.Thinking);
        Assert.That(Sample(3000), Is.EqualTo(Pattern(500, 500, 3000)));
        led.Show(LedState.Error);
        Assert.That(led.State, Is.EqualTo(LedState.Error));
        Assert.That(Sample(1000), Is.EqualTo(Pattern(100, 100, 1000)));
    }

    [Test]
    public void IdleStopsTheBlinking()
    {
        using var led = new GpioStatusLed(_controller, Line, _time);
        led.Show(LedState.Error);
        _time.Advance(250 * Ms);
        led.Show(LedState.Idle);
        var writes = _driver.Writes.Count;
        Assert.That(Sample(2000), Is.EqualTo(new string('0', 2000)));
        Assert.That(_driver.Writes, Has.Count.EqualTo(writes), "no timer left writing");
    }

    [Test]
    public void ShowingTheSameStateAgainKeepsTheRhythm()
    {
        using var led = new GpioStatusLed(_controller, Line, _time);
        led.Show(LedState.Thinking);
        _time.Advance(300 * Ms);
        led.Show(LedState.Thinking);
        Assert.That(Sample(200), Is.EqualTo(new string('1', 200)));
        Assert.That(Sample(500), Is.EqualTo(new string('0', 500)));
    }

    [Test]
    public void DisposeTurnsItOffAndReleasesTheLine()
    {
        var led = new GpioStatusLed(_controller, Line, _time);
        led.Show(LedState.Listening);
        led.Dispose();
        Assert.That(_driver.LevelOf(Line), Is.EqualTo(PinValue.Low));
        Assert.That(_driver.IsOpen(Line), Is.False);
        led.Show(LedState.Error);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(_driver.LevelOf(Line), Is.EqualTo(PinValue.Low));
    }
}
