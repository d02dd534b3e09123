using System.Device.Gpio;
using EdgeLlm.Device.Gpio;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace EdgeLlm.Device.Tests.Gpio;

public class GpioPushButtonTests
{
    private const int Line = 17;
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private FakeTimeProvider _time = null!;
    private FakeGpioDriver _driver = null!;
    private GpioController _controller = null!;
    private readonly List<(string Kind, ButtonEventArgs Args)> _events = [];

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        _driver = new FakeGpioDriver(_time);
        _controller = new GpioController(_driver);
        _events.Clear();
    }

    [TearDown]
    public void TearDown()
    {
        _controller.Dispose();
        _driver.Dispose();
    }

    private GpioPushButton Open(GpioOptions? options = null)
    {
        var button = new GpioPushButton(_controller, Line, options ?? new GpioOptions(), _time);
        button.Pressed += (_, e) => _events.Add(("pressed", e));
        button.Released += (_, e) => _events.Add(("released", e));
        button.LongHold += (_, e) => _events.Add(("long", e));
        return button;
    }

    /// <summary>
    /// A contact closing or opening with bounce: the line flips every <paramref name="everyMs"/> ms,
    /// <paramref name="flips"/> times, then stays at <paramref name="level"/>. Returns the first edge's time.
    /// </summary>
    private DateTimeOffset Bounce(PinValue level, int flips = 4, int everyMs = 5)
    {
        var start = _time.GetUtcNow();
        for (var i = 0; i < flips; i++)
        {
            _driver.Drive(Line, i % 2 == 0 ? level : (level == PinValue.High ? PinValue.Low : PinValue.High));
            _time.Advance(everyMs * Ms);
        }

        _driver.Drive(Line, level);
        return start;
    }

    [Test]
    public void OpensTheLineActiveLowWithThePullUp()
    {
        using var button = Open();
        Assert.That(_driver.ModeOf(Line), Is.EqualTo(PinMode.InputPullUp));
        Assert.That(_driver.CallbackCount(Line), Is.EqualTo(1));
        Assert.That(button.IsPressed, Is.False);
    }

    [Test]
    public void BouncingPressAndReleaseGiveOneEventEach()
    {
        using var button = Open();
        var pressStart = Bounce(PinValue.Low);       // edges at 0, 5, 10, 15, 20 ms
        _time.Advance(29 * Ms);                      // 29 ms after the last edge: not yet stable
        Assert.That(button.IsPressed, Is.False);
        Assert.That(_events, Is.Empty);
        _time.Advance(Ms);                           // 30 ms stable: the press counts
        Assert.That(button.IsPressed, Is.True);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed" }));
        Assert.That(_events[0].Args.Timestamp, Is.EqualTo(pressStart));
        Assert.That(_events[0].Args.HeldFor, Is.EqualTo(TimeSpan.Zero));

        _time.Advance(200 * Ms);
        var releaseStart = Bounce(PinValue.High, flips: 6);
        _time.Advance(100 * Ms);
        Assert.That(button.IsPressed, Is.False);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed", "released" }));
        var released = _events[1].Args;
        Assert.That(released.Timestamp, Is.EqualTo(releaseStart));
        Assert.That(released.HeldFor, Is.EqualTo(releaseStart - pressStart));
        Assert.That(released.HeldFor, Is.EqualTo(250 * Ms));
        Assert.That(released.IsShortPress, Is.True);
    }

    [Test]
    public void PulsesShorterThanTheDebounceTimeAreIgnored()
    {
        using var button = Open();
        for (var i = 0; i < 10; i++)
        {
            _driver.Drive(Line, PinValue.Low);   // 20 ms low, 40 ms high: each low pulse is shorter than 30 ms,
            _time.Advance(20 * Ms);              // and the line is back high before it counts
            _driver.Drive(Line, PinValue.High);
            _time.Advance(40 * Ms);
        }

        Assert.That(button.IsPressed, Is.False);
        Assert.That(_events, Is.Empty);

        // Held down, a short open of the contact does not release it either.
        Bounce(PinValue.Low);
        _time.Advance(50 * Ms);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed" }));
        _driver.Drive(Line, PinValue.High);
        _time.Advance(25 * Ms);
        _driver.Drive(Line, PinValue.Low);
        _time.Advance(100 * Ms);
        Assert.That(button.IsPressed, Is.True);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed" }));
    }

    [TestCase(399, true)]
    [TestCase(400, false)]
    [TestCase(1500, false)]
    public void ShortPressIsHeldLessThanShortPressMs(int heldMs, bool isShort)
    {
        using var button = Open();
        var start = Bounce(PinValue.Low);
        _time.Advance((heldMs - 20) * Ms);     // Bounce took 20 ms
        var release = Bounce(PinValue.High);
        _time.Advance(50 * Ms);
        Assert.That(release - start, Is.EqualTo(heldMs * Ms));
        var released = _events.Single(e => e.Kind == "released").Args;
        Assert.That(released.HeldFor, Is.EqualTo(heldMs * Ms));
        Assert.That(released.IsShortPress, Is.EqualTo(isShort));
        Assert.That(_events.Any(e => e.Kind == "long"), Is.False);
    }

    [Test]
    public void LongHoldFiresOnceAtTheLongHoldTimeThenReleaseFollows()
    {
        using var button = Open();
        var start = Bounce(PinValue.Low);
        _time.Advance((2000 - 20 - 1) * Ms);    // 1 999 ms after the first edge
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed" }));
        _time.Advance(Ms);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed", "long" }));
        var hold = _events[1].Args;
        Assert.That(hold.Timestamp, Is.EqualTo(start));
        Assert.That(hold.HeldFor, Is.EqualTo(2000 * Ms));

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(_events.Count(e => e.Kind == "long"), Is.EqualTo(1));

        var release = Bounce(PinValue.High);
        _time.Advance(50 * Ms);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed", "long", "released" }));
        Assert.That(_events[2].Args.HeldFor, Is.EqualTo(release - start));
        Assert.That(_events[2].Args.IsShortPress, Is.False);

        // The next press has its own long hold.
        Bounce(PinValue.Low);
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.That(_events.Count(e => e.Kind == "long"), Is.EqualTo(2));
    }

    [Test]
    public void ReleaseBeforeTheLongHoldTimeCancelsIt()
    {
        using var button = Open();
        Bounce(PinValue.Low);
        _time.Advance(1900 * Ms);
        Bounce(PinValue.High);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed", "released" }));
    }

    [Test]
    public void ActiveHighUsesThePullDownAndHighMeansPressed()
    {
        using var button = Open(new GpioOptions { ActiveLow = false });
        Assert.That(_driver.ModeOf(Line), Is.EqualTo(PinMode.InputPullDown));
        Assert.That(button.IsPressed, Is.False);
        var start = Bounce(PinValue.High);
        _time.Advance(50 * Ms);
        Assert.That(button.IsPressed, Is.True);
        _time.Advance(100 * Ms);
        Bounce(PinValue.Low);
        _time.Advance(50 * Ms);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "pressed", "released" }));
        Assert.That(_events[0].Args.Timestamp, Is.EqualTo(start));
        Assert.That(_events[1].Args.HeldFor, Is.EqualTo(170 * Ms), "20 ms of bounce, 50 ms, 100 ms");
    }

    [Test]
    public void DebounceTimeComesFromTheOptions()
    {
        using var button = Open(new GpioOptions { DebounceMs = 80 });
        Bounce(PinValue.Low);
        _time.Advance(79 * Ms);
        Assert.That(button.IsPressed, Is.False);
        _time.Advance(Ms);
        Assert.That(button.IsPressed, Is.True);
    }

    [Test]
    public void AButtonHeldAtStartIsPressedWithoutAnEvent()
    {
        _driver.Drive(Line, PinValue.Low);
        using var button = Open();
        Assert.That(button.IsPressed, Is.True);
        Bounce(PinValue.High);
        _time.Advance(50 * Ms);
        Assert.That(button.IsPressed, Is.False);
        Assert.That(_events.Select(e => e.Kind), Is.EqualTo(new[] { "released" }));
    }

    [Test]
    public void DisposeReleasesTheLineAndStopsEvents()
    {
        var button = Open();
        Bounce(PinValue.Low);
        button.Dispose();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(_events, Is.Empty);
        Assert.That(_driver.CallbackCount(Line), Is.EqualTo(0));
        Assert.That(_driver.IsOpen(Line), Is.False);
        Assert.That(_driver.Disposed, Is.False, "the controller is the caller's");
        button.Dispose();
    }

    [Test]
    public void EdgesFromManyThreadsEndInOneConsistentState()
    {
        using var button = Open();
        // Four threads flip the line 2 000 times each while fake time runs on; then the contact settles closed.
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                _driver.Drive(Line, (i + t) % 2 == 0 ? PinValue.Low : PinValue.High);
                if (i % 100 == 0)
                {
                    _time.Advance(Ms);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        _driver.Drive(Line, PinValue.High);
        _time.Advance(50 * Ms);
        _driver.Drive(Line, PinValue.Low);
        _time.Advance(50 * Ms);

        Assert.That(button.IsPressed, Is.True);
        var kinds = _events.Select(e => e.Kind).ToList();
        Assert.That(kinds, Is.Not.Empty);
        Assert.That(kinds[^1], Is.EqualTo("pressed"));
        for (var i = 1; i < kinds.Count; i++)
        {
            Assert.That(kinds[i], Is.Not.EqualTo(kinds[i - 1]), "pressed and released alternate");
        }
    }
}
