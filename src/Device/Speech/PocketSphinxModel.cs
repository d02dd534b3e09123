namespace EdgeLlm.Device.Speech;

/// <summary>The three files PocketSphinx needs: acoustic model folder (holding <c>mdef</c>), pronunciation
/// dictionary, and the n-gram language model used for free dictation.</summary>
public sealed record PocketSphinxModel(string AcousticModel, string Dictionary, string LanguageModel)
{
    /// <summary>Debian's pocketsphinx-en-us: en-us/ (acoustic), cmudict-en-us.dict, en-us.lm.bin.</summary>
    public const string DebianFolder = "/usr/share/pocketsphinx/model/en-us";

    /// <summary>
    /// Finds the model in <paramref name="folder"/> ("" = <see cref="DebianFolder"/>): the subfolder holding
    /// <c>mdef</c> (or the folder itself), one <c>*.dict</c>, and one <c>*.lm.bin</c> / <c>*.lm</c> that is not a
    /// phone model. <see cref="SpeechException"/> naming what is missing.
    /// </summary>
    public static PocketSphinxModel Find(string folder)
    {
        string root = string.IsNullOrWhiteSpace(folder) ? DebianFolder : folder;
        string fix = string.IsNullOrWhiteSpace(folder)
            ? "install pocketsphinx-en-us (or set Speech:PocketSphinxModel)"
            : "set Speech:PocketSphinxModel to a folder with the acoustic model, a .dict and a .lm.bin";
        if (!Directory.Exists(root))
        {
            throw new SpeechException($"PocketSphinx model folder {root} not found: {fix}");
        }

        string? acoustic = File.Exists(Path.Combine(root, "mdef")) || File.Exists(Path.Combine(root, "means"))
            ? root
            : Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal).FirstOrDefault(d => File.Exists(Path.Combine(d, "mdef")) || File.Exists(Path.Combine(d, "means")));
        if (acoustic is null)
        {
            throw new SpeechException($"PocketSphinx model folder {root} has no acoustic model (a folder holding mdef): {fix}");
        }

        // PocketSphinx 0.8 ends the whole process (E_FATAL calls exit) when one of these is missing or unreadable.
        foreach (string part in (string[])["mdef", "means", "variances", "transition_matrices"])
        {
            var file = new FileInfo(Path.Combine(acoustic, part));
            if (!file.Exists || file.Length == 0)
            {
                throw new SpeechException($"PocketSphinx acoustic model {acoustic} lacks {part} (or it is empty): {fix}");
            }
        }

        string searchIn = acoustic == root ? Path.GetDirectoryName(root) ?? root : root;
        string? dict = Directory.EnumerateFiles(searchIn, "*.dict").Order(StringComparer.Ordinal).FirstOrDefault();
        if (dict is null)
        {
            throw new SpeechException($"PocketSphinx model folder {root} has no pronunciation dictionary (*.dict): {fix}");
        }

        string? lm = Directory.EnumerateFiles(searchIn, "*.lm.bin").Concat(Directory.EnumerateFiles(searchIn, "*.lm"))
            .Where(f => !Path.GetFileName(f).Contains("-phone", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).FirstOrDefault();
        if (lm is null)
        {
            throw new SpeechException($"PocketSphinx model folder {root} has no language model (*.lm.bin): {fix}");
        }

        return new PocketSphinxModel(acoustic, dict, lm);
    }
}
