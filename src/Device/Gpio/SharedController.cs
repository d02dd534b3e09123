using System.Device.Gpio;

namespace EdgeLlm.Device.Gpio;

/// <summary>One controller shared by the button and the LED; disposed when the last of them is.</summary>
internal sealed class SharedController(GpioController controller) : IDisposable
{
    private int _users;

    public GpioController Controller { get; } = controller;

    /// <summary>A lease for one more user; disposing the lease releases it.</summary>
    public IDisposable Lease()
    {
        Interlocked.Increment(ref _users);
        return new Release(this);
    }

    public void Dispose() => Controller.Dispose();

    private sealed class Release(SharedController owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0 && Interlocked.Decrement(ref owner._users) == 0)
            {
                owner.Dispose();
            }
        }
    }
}
