using EdgeLlm.Device.Power;

namespace EdgeLlm.Device.Tests.Power;

/// <summary>vcgencmd pmic_read_adc replaced by fixed text (or a failure).</summary>
public sealed class CannedPmicAdc(string? text, string? failure = null) : IPmicAdcReader
{
    /// <summary>
    /// The shape of a Raspberry Pi 5's full output (firmware 2024-2025): twelve current lines, then fourteen voltage
    /// lines, each rail's A and V with different indices, and EXT5V / BATT with a voltage only. Idle-board values.
    /// </summary>
    public const string Pi5Output = """
             3V7_WL_SW_A current(0)=0.00390372A
               3V3_SYS_A current(1)=0.05562420A
               1V8_SYS_A current(2)=0.16493400A
              DDR_VDD2_A current(3)=0.02049750A
              DDR_VDDQ_A current(4)=0.00000000A
               1V1_SYS_A current(5)=0.18447500A
               0V8_SYS_A current(6)=0.34064460A
              VDD_CORE_A current(7)=0.74682000A
               3V3_DAC_A current(17)=0.00048840A
               3V3_ADC_A current(18)=0.00036630A
               0V8_AON_A current(16)=0.00000000A
                  HDMI_A current(22)=0.02014200A
             3V7_WL_SW_V volt(8)=3.71634500V
               3V3_SYS_V volt(9)=3.31004400V
               1V8_SYS_V volt(10)=1.79962800V
              DDR_VDD2_V volt(11)=1.11086800V
              DDR_VDDQ_V volt(12)=0.60561900V
               1V1_SYS_V volt(13)=1.10402000V
               0V8_SYS_V volt(14)=0.80100000V
              VDD_CORE_V volt(15)=0.72069000V
               3V3_DAC_V volt(20)=3.30603000V
               3V3_ADC_V volt(21)=3.30786000V
               0V8_AON_V volt(19)=0.79882000V
                  HDMI_V volt(23)=5.14002000V
                 EXT5V_V volt(24)=5.13300000V
                  BATT_V volt(25)=0.00000000V
        """;

    public int Reads { get; private set; }

    public string? Text { get; set; } = text;

    public string Read()
    {
        Reads++;
        return failure is null ? Text ?? "" : throw new PowerSourceException(failure);
    }
}
