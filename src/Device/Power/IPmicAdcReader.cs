namespace EdgeLlm.Device.Power;

/// <summary>The text of <c>vcgencmd pmic_read_adc</c>; the seam tests feed canned output through.</summary>
public interface IPmicAdcReader
{
    /// <summary>The command's standard output. Throws <see cref="PowerSourceException"/> when it cannot run.</summary>
    string Read();
}
