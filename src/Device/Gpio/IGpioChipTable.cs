namespace EdgeLlm.Device.Gpio;

/// <summary>The GPIO chips of this machine with their labels: the seam chip discovery is tested through.</summary>
public interface IGpioChipTable
{
    /// <summary>Every /dev/gpiochipN in order of N; an unopenable chip is listed with its errno.</summary>
    IReadOnlyList<GpioChipEntry> Chips();
}
