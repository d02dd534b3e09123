using EdgeLlm.Kernels.Generation;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.Kernels.Tests.Generation;

/// <summary>End to end on the real trained stories260K model, converted by our converter.</summary>
public class StoryGenerationTests
{
    private static async Task<(string Text, List<TokenEvent> Events)> Run(LanguageModel lm, string prompt, GenerationOptions o, CancellationToken ct = default)
    {
        var events = new List<TokenEvent>();
        await foreach (var e in lm.GenerateAsync(prompt, o, ct))
        {
            events.Add(e);
        }

        return (string.Concat(events.Select(e => e.Text)), events);
    }

    [TestCase(GgmlType.F32)]
    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    public async Task GreedyFromBosTellsAStoryBeginningOnceUponATime(GgmlType type)
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(type), new ModelLoadOptions { Threads = 2 });
        var (text, events) = await Run(lm, "", new GenerationOptions { MaxTokens = 200, Sampling = SamplingOptions.Greedy });

        Assert.That(text, Does.StartWith("Once upon a time"));
        var done = events[^1].Done!;
        Assert.That(done.PromptTokens, Is.EqualTo(1), "an empty prompt is just BOS");
        Assert.That(done.CompletionTokens, Is.GreaterThan(50));
        Assert.That(done.TokensPerSecond, Is.GreaterThan(0));
        Assert.That(events.Take(events.Count - 1).Select(e => e.Index), Is.EqualTo(Enumerable.Range(0, events.Count - 1)));
    }

    [Test]
    public async Task StreamedTextEqualsTheDecodedTokens()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        var (text, events) = await Run(lm, "Once upon a time", new GenerationOptions { MaxTokens = 80, Sampling = new SamplingOptions { Seed = 11 } });
        int[] ids = events.Where(e => !e.IsFinal).Select(e => e.TokenId).ToArray();
        Assert.That(text, Is.EqualTo(lm.Tokenizer.Decode(ids)));
    }

    [Test]
    public async Task SeededSamplingRepeatsExactlyAndDoesNotDependOnThreadCount()
    {
        var o = new GenerationOptions { MaxTokens = 60, Sampling = new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 0.9f, Seed = 1234 } };
        string path = TestModels.Stories260K(GgmlType.Q8_0);
        using var one = LanguageModel.Load(path, new ModelLoadOptions { Threads = 1 });
        using var two = LanguageModel.Load(path, new ModelLoadOptions { Threads = 2 });
        string a = (await Run(one, "Lily", o)).Text;
        string b = (await Run(one, "Lily", o)).Text;
        string c = (await Run(two, "Lily", o)).Text;
        string d = (await Run(one, "Lily", o with { Sampling = o.Sampling with { Seed = 99 } })).Text;
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.EqualTo(a));
        Assert.That(d, Is.Not.EqualTo(a));
    }

    [Test]
    public async Task MaxTokensEndsWithLength()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        var (_, events) = await Run(lm, "Once upon a time", new GenerationOptions { MaxTokens = 7, Sampling = SamplingOptions.Greedy });
        Assert.That(events[^1].Done!.FinishReason, Is.EqualTo(FinishReason.Length));
        Assert.That(events[^1].Done!.CompletionTokens, Is.EqualTo(7));
        Assert.That(events, Has.Count.EqualTo(8));
    }

    [Test]
    public async Task StopStringEndsGenerationBeforeIt()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.F32), new ModelLoadOptions { Threads = 1 });
        var greedy = new GenerationOptions { MaxTokens = 200, Sampling = SamplingOptions.Greedy };
        string full = (await Run(lm, "", greedy)).Text;
        int cut = full.IndexOf(" she", StringComparison.Ordinal);
        Assert.That(cut, Is.GreaterThan(0), "the story should contain ' she'");

        var (text, events) = await Run(lm, "", greedy with { StopStrings = [" she"] });
        Assert.That(text, Is.EqualTo(full[..cut]));
        Assert.That(events[^1].Done!.FinishReason, Is.EqualTo(FinishReason.Stop));
    }

    [Test]
    public async Task CancellationEndsTheStreamWithCancelled()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        using var cts = new CancellationTokenSource();
        var events = new List<TokenEvent>();
        await foreach (var e in lm.GenerateAsync("", new GenerationOptions { MaxTokens = 400, Sampling = SamplingOptions.Greedy }, cts.Token))
        {
            events.Add(e);
            if (events.Count == 5)
            {
                await cts.CancelAsync();
            }
        }

        Assert.That(events[^1].Done!.FinishReason, Is.EqualTo(FinishReason.Cancelled));
        Assert.That(events[^1].Done!.CompletionTokens, Is.EqualTo(5));
    }

    [Test]
    public async Task ASecondConcurrentGenerationIsRefused()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1 });
        var o = new GenerationOptions { MaxTokens = 20, Sampling = SamplingOptions.Greedy };
        await using var first = lm.GenerateAsync("", o).GetAsyncEnumerator();
        Assert.That(await first.MoveNextAsync(), Is.True);
        Assert.That(async () => await Run(lm, "", o), Throws.InvalidOperationException);
        while (await first.MoveNextAsync())
        {
        }

        Assert.That((await Run(lm, "", o)).Events[^1].IsFinal, Is.True, "usable again once the first finished");
    }

    [Test]
    public void APromptThatFillsTheContextIsRefused()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1, ContextLength = 16 });
        string prompt = string.Join(' ', Enumerable.Repeat("time", 40));
        Assert.That(async () => await Run(lm, prompt, new GenerationOptions()), Throws.InstanceOf<PromptTooLongException>());
    }

    [Test]
    public async Task AFullContextEndsWithLength()
    {
        using var lm = LanguageModel.Load(TestModels.Stories260K(GgmlType.Q8_0), new ModelLoadOptions { Threads = 1, ContextLength = 12 });
        var (_, events) = await Run(lm, "Once upon a time", new GenerationOptions { MaxTokens = 100, Sampling = new SamplingOptions { Seed = 2 } });
        var done = events[^1].Done!;
        Assert.That(done.FinishReason, Is.AnyOf(FinishReason.Length, FinishReason.Stop));
        Assert.That(done.PromptTokens + done.CompletionTokens, Is.LessThanOrEqualTo(12 + 1));
    }

    [Test]
    public void TheBundledDemoModelIsExactlyWhatOurConverterWrites()
    {
        string bundled = Path.Combine(SharedData.RepoRoot, "models", "stories260K-q8_0.gguf");
        Assert.That(File.ReadAllBytes(bundled), Is.EqualTo(File.ReadAllBytes(TestModels.Stories260K(GgmlType.Q8_0))));
    }
}
