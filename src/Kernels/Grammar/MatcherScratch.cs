namespace EdgeLlm.Kernels.Grammar;

/// <summary>Per-matcher working memory for mask computation, so the shared <see cref="TokenGrammar"/> needs none.</summary>
internal sealed class MatcherScratch(TokenVocabulary vocabulary, GrammarStepper stepper)
{
    public TokenWalker Walker { get; } = new(vocabulary, stepper);

    public StackSet Single { get; } = new();

    public ulong[] Mask { get; } = new ulong[vocabulary.MaskLength];
}
