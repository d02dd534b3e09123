namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>The outcome of one <c>edgellm doctor</c> check.</summary>
public enum DoctorStatus
{
    /// <summary>What the service needs is there.</summary>
    Ok,

    /// <summary>The service will fail (or run without the feature) until the fix is applied.</summary>
    Fail,

    /// <summary>Not checked: the configuration does not use it.</summary>
    Skip,
}
