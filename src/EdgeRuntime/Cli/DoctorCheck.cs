namespace EdgeLlm.EdgeRuntime.Cli;

/// <summary>One line of <c>edgellm doctor</c>: what was checked, the outcome, and for a failure how to fix it.</summary>
/// <param name="Item">model, gpio, power, microphone, speech, broker, configuration.</param>
/// <param name="Status">OK, FAIL or SKIP.</param>
/// <param name="Detail">What was found (OK), what is wrong (FAIL), or why it was not checked (SKIP).</param>
/// <param name="Fix">What to do about a failure; null otherwise.</param>
public sealed record DoctorCheck(string Item, DoctorStatus Status, string Detail, string? Fix = null)
{
    public static DoctorCheck Ok(string item, string detail) => new(item, DoctorStatus.Ok, detail);

    public static DoctorCheck Fail(string item, string detail, string fix) => new(item, DoctorStatus.Fail, detail, fix);

    public static DoctorCheck Skip(string item, string why) => new(item, DoctorStatus.Skip, why);

    /// <summary>"OK    model       …" and, for a failure, an indented "fix: …" line.</summary>
    public override string ToString()
    {
        string status = Status switch
        {
            DoctorStatus.Ok => "OK",
            DoctorStatus.Fail => "FAIL",
            _ => "SKIP",
        };
        string line = $"{status,-5} {Item,-14} {Detail.ReplaceLineEndings(" ")}";
        return Fix is null ? line : $"{line}{Environment.NewLine}{"",-5} {"",-14} fix: {Fix.ReplaceLineEndings(" ")}";
    }
}
