namespace EdgeLlm.Device.Gpio;

/// <summary>A status indicator (docs/gpio.md): one LED shows the state by its pattern.</summary>
public interface IStatusLed : IDisposable
{
    LedState State { get; }

    void Show(LedState state);
}
