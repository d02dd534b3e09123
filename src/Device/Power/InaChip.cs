namespace EdgeLlm.Device.Power;

/// <summary>What answered at the INA address.</summary>
public enum InaChip
{
    /// <summary>Nothing answered, or something that does not read like an INA219 or INA236.</summary>
    None,
    Ina219,
    Ina236,
}
