using System.CommandLine;
using System.Text;
using EdgeLlm.EdgeRuntime.Cli;
using EdgeLlm.EdgeRuntime.Hub;
using EdgeLlm.Kernels.Gguf;

namespace EdgeLlm.EdgeRuntime.Tests.Hub;

/// <summary>
/// <c>edgellm pull</c> against <see cref="FakeHub"/> on 127.0.0.1: the download logic on its own (no converter),
/// the converter seam with a stand-in converter, and the CLI with <c>--no-convert</c>.
/// </summary>
[TestFixture]
public sealed class PullTests
{
    private const string Repo = "facebook/MobileLLM-125M";
    private static readonly DownloadOptions Fast = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        StallTimeout = TimeSpan.FromSeconds(5),
        MaxAttempts = 3,
        ProgressInPlace = false,
    };

    private string _dir = null!;
    private FakeHub _hub = null!;
    private StringWriter _log = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "edgellm-pull-" + Guid.NewGuid().ToString("N"));
        _hub = new FakeHub();
        _log = new StringWriter();
    }

    [TearDown]
    public void TearDown()
    {
        _hub.Dispose();
        _log.Dispose();
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    private static byte[] Random(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>A repo shaped like Meta's: small files in git, tokenizer and weights in LFS, plus files pull must skip.</summary>
    private FakeRepo MobileLlmRepo(string id = Repo)
    {
        return _hub.AddRepo(id)
            .Add(".gitattributes", "*.bin filter=lfs\n"u8.ToArray())
            .Add("README.md", "# MobileLLM\n"u8.ToArray())
            .Add("config.json", """{"model_type":"mobilellm","hidden_size":576}"""u8.ToArray())
            .Add("generation_config.json", """{"bos_token_id":1}"""u8.ToArray())
            .Add("tokenizer_config.json", """{"tokenizer_class":"LlamaTokenizer"}"""u8.ToArray())
            .Add("special_tokens_map.json", """{"bos_token":"<s>"}"""u8.ToArray())
            .Add("configuration_mobilellm.py", "# code\n"u8.ToArray())
            .Add("tokenizer.model", Random(50_000, 1), lfs: true)
            .Add("model.safetensors", Random(1_200_000, 2), lfs: true)
            .Add("pytorch_model.bin", Random(200_000, 3), lfs: true);
    }

    private static readonly string[] Expected =
        ["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.model", "tokenizer_config.json"];

    private ModelPuller Puller(IModelConverter? converter = null) => new(converter ?? new NoConverter(), _log, Fast);

    private PullRequest Request(string model = Repo, string? token = null, bool convert = false) =>
        new(model, _dir, GgmlType.Q8_0, _hub.Endpoint, token, Convert: convert);

    private void AssertFolderMatches(FakeRepo repo)
    {
        var names = Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.That(names, Is.EqualTo(Expected), "only config, tokenizer and the preferred weights, nothing partial");
        foreach (var n in Expected)
            Assert.That(File.ReadAllBytes(Path.Combine(_dir, n)), Is.EqualTo(repo.Files[n]), n);
    }

    [Test]
    public async Task Pull_DownloadsConfigTokenizerAndWeights_VerifiedAgainstTheListing()
    {
        var repo = MobileLlmRepo();
        var result = await Puller().PullAsync(Request());

        AssertFolderMatches(repo);
        Assert.That(result.Commit, Is.EqualTo(repo.Commit));
        Assert.That(result.Files.Select(f => f.Outcome), Is.All.EqualTo(DownloadOutcome.Downloaded));
        Assert.That(result.GgufPath, Is.Null);
        // every download is pinned to the commit the revision pointed to
        var resolves = _hub.Seen.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)).ToList();
        Assert.That(resolves, Has.Count.EqualTo(Expected.Length));
        Assert.That(resolves.Select(r => r.Path), Is.All.StartsWith($"/{Repo}/resolve/{repo.Commit}/"));
        Assert.That(_hub.Downloads("pytorch_model.bin"), Is.Empty, "safetensors preferred over the pickle");
        string log = _log.ToString();
        Assert.That(log, Does.Contain("model.safetensors").And.Contain("sha256 verified"));
        Assert.That(log, Does.Contain("config.json").And.Contain("git sha1 verified"));
    }

    [Test]
    public async Task DroppedConnection_ResumesWithARangeFromWhereItStopped()
    {
        var repo = MobileLlmRepo();
        const long cut = 700_003;
        _hub.DropOnceAt["model.safetensors"] = cut;

        await Puller().PullAsync(Request());

        AssertFolderMatches(repo);
        var gets = _hub.Downloads("model.safetensors").Where(r => r.Path.StartsWith("/cdn/", StringComparison.Ordinal)).ToList();
        Assert.That(gets, Has.Count.EqualTo(2));
        Assert.That(gets[0].Range, Is.Null);
        Assert.That(gets[1].Range, Is.EqualTo($"bytes={cut}-"), "the second request continues from the last byte on disk");
        Assert.That(_log.ToString(), Does.Contain("retrying"));
    }

    [Test]
    public async Task StalledConnection_IsDroppedAfterTheStallTimeout_AndResumed()
    {
        var repo = MobileLlmRepo();
        const long stop = 600_001;
        _hub.HangOnceAt["model.safetensors"] = stop;

        await new ModelPuller(new NoConverter(), _log, Fast with { StallTimeout = TimeSpan.FromMilliseconds(500) }).PullAsync(Request());

        AssertFolderMatches(repo);
        Assert.That(_hub.Downloads("model.safetensors").Last().Range, Is.EqualTo($"bytes={stop}-"));
        Assert.That(_log.ToString(), Does.Contain("no data for 0.5 s"));
    }

    [Test]
    public async Task DroppedConnection_ServerThatIgnoresRange_StartsOverAndStillVerifies()
    {
        var repo = MobileLlmRepo();
        _hub.DropOnceAt["model.safetensors"] = 500_000;
        _hub.IgnoreRange = true;

        await Puller().PullAsync(Request());

        AssertFolderMatches(repo);
    }

    [Test]
    public async Task PartFromAnEarlierRun_IsResumed()
    {
        var repo = MobileLlmRepo();
        Directory.CreateDirectory(_dir);
        const int have = 654_321;
        File.WriteAllBytes(Path.Combine(_dir, "model.safetensors.part"), repo.Files["model.safetensors"][..have]);

        var result = await Puller().PullAsync(Request());

        AssertFolderMatches(repo);
        Assert.That(result.Files.Single(f => f.Path == "model.safetensors").Outcome, Is.EqualTo(DownloadOutcome.Resumed));
        Assert.That(_hub.Downloads("model.safetensors").Last().Range, Is.EqualTo($"bytes={have}-"));
    }

    [Test]
    public async Task StalePartOfOtherContent_IsDiscardedOnceAndTheFileFetchedAgain()
    {
        var repo = MobileLlmRepo();
        Directory.CreateDirectory(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "model.safetensors.part"), Random(400_000, 99));

        await Puller().PullAsync(Request());

        AssertFolderMatches(repo);
        Assert.That(_hub.Downloads("model.safetensors").Last().Range, Is.Null);
    }

    [TestCase("model.safetensors", 123_457, "sha256")]
    [TestCase("config.json", 3, "git sha1")]
    public void CorruptedByte_IsDetected_AndNothingKeptUnderTheFinalName(string file, long offset, string check)
    {
        MobileLlmRepo();
        _hub.CorruptAt[file] = offset;

        var e = Assert.ThrowsAsync<HubException>(() => Puller().PullAsync(Request()))!;

        Assert.That(e.Kind, Is.EqualTo(HubErrorKind.Integrity));
        Assert.That(e.Message, Does.Contain(file).And.Contain($"{check} mismatch"));
        Assert.That(File.Exists(Path.Combine(_dir, file)), Is.False);
        Assert.That(File.Exists(Path.Combine(_dir, file + ".part")), Is.False);
    }

    [Test]
    public async Task CompleteFiles_AreVerifiedAndNotDownloadedAgain_ADamagedOneIs()
    {
        var repo = MobileLlmRepo();
        await Puller().PullAsync(Request());
        int before = _hub.Seen.Count;

        var again = await Puller().PullAsync(Request());

        Assert.That(again.Files.Select(f => f.Outcome), Is.All.EqualTo(DownloadOutcome.AlreadyComplete));
        var second = _hub.Seen.Skip(before).ToList();
        Assert.That(second.Where(r => !r.Path.StartsWith("/api/", StringComparison.Ordinal)), Is.Empty, "only the listing is asked for");

        var bytes = File.ReadAllBytes(Path.Combine(_dir, "tokenizer.model"));
        bytes[10] ^= 1;
        File.WriteAllBytes(Path.Combine(_dir, "tokenizer.model"), bytes);
        var third = await Puller().PullAsync(Request());

        Assert.That(third.Files.Where(f => f.Outcome != DownloadOutcome.AlreadyComplete).Select(f => f.Path), Is.EqualTo(new[] { "tokenizer.model" }));
        AssertFolderMatches(repo);
    }

    [Test]
    public async Task Token_IsSentAsBearerToTheHub_AndNotToTheCdnItRedirectsTo()
    {
        using var cdn = new FakeHub();
        using var hub = new FakeHub(cdn);
        _hub.Dispose();
        _hub = hub;
        var repo = MobileLlmRepo();
        repo.Gated = true;
        repo.AcceptedToken = "hf_test_secret";

        await Puller().PullAsync(Request(token: "hf_test_secret"));

        AssertFolderMatches(repo);
        var toHub = hub.Seen.Where(r => r.Port == hub.Port).ToList();
        var toCdn = hub.Seen.Where(r => r.Port == cdn.Port).ToList();
        Assert.That(toHub.Select(r => r.Authorization), Is.All.EqualTo("Bearer hf_test_secret"));
        Assert.That(toCdn, Is.Not.Empty);
        Assert.That(toCdn.Select(r => r.Authorization), Is.All.Null, "the signed CDN URL needs no token, and must not see it");
    }

    [Test]
    public void InvalidToken_SaysTheTokenWasRejected()
    {
        MobileLlmRepo();
        _hub.RejectTokens = true;

        var e = Assert.ThrowsAsync<HubException>(() => Puller().PullAsync(Request(token: "hf_typo")))!;

        Assert.That(e.Kind, Is.EqualTo(HubErrorKind.BadToken));
        Assert.That(e.Message, Does.Contain("rejected the token").And.Contain("--token or HF_TOKEN").And.Not.Contain("hf_typo"));
    }

    [Test]
    public async Task ShardedWeights_AreFoundThroughTheIndex_AcrossAPaginatedListing()
    {
        var repo = _hub.AddRepo("someone/Sharded")
            .Add("config.json", "{}"u8.ToArray())
            .Add("tokenizer.model", Random(1000, 5), lfs: true)
            .Add("model-00001-of-00002.safetensors", Random(300_000, 6), lfs: true)
            .Add("model-00002-of-00002.safetensors", Random(200_000, 7), lfs: true)
            .Add("model.safetensors.index.json", """
                {"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}
                """u8.ToArray());
        repo.TreePageSize = 2;

        var result = await Puller().PullAsync(Request("someone/Sharded"));

        Assert.That(result.Files.Select(f => f.Path), Is.EquivalentTo(repo.Files.Keys));
        foreach (var (name, content) in repo.Files)
            Assert.That(File.ReadAllBytes(Path.Combine(_dir, name)), Is.EqualTo(content), name);
        Assert.That(_hub.Seen.Count(r => r.Path.Contains("/tree/", StringComparison.Ordinal)), Is.EqualTo(3));
    }

    [Test]
    public void ServerKeepsFailing_GivesUpAfterTheBoundedAttempts()
    {
        MobileLlmRepo();
        _hub.Unavailable = true;

        var e = Assert.ThrowsAsync<HubException>(() => Puller().PullAsync(Request()))!;

        Assert.That(e.Kind, Is.EqualTo(HubErrorKind.Network));
        Assert.That(e.Message, Does.Contain("config.json").And.Contain($"after {Fast.MaxAttempts} attempts"));
        Assert.That(_hub.Downloads("config.json"), Has.Count.EqualTo(Fast.MaxAttempts));
        Assert.That(File.Exists(Path.Combine(_dir, "config.json")), Is.False);
    }

    [Test]
    public void RepoWithoutWeights_IsRefusedBeforeDownloadingAnything()
    {
        _hub.AddRepo("someone/NoWeights").Add("config.json", "{}"u8.ToArray()).Add("model.gguf", [1, 2, 3], lfs: true);

        var e = Assert.ThrowsAsync<HubException>(() => Puller().PullAsync(Request("someone/NoWeights")))!;

        Assert.That(e.Message, Does.Contain("no weights"));
        Assert.That(_hub.Seen.Where(r => !r.Path.StartsWith("/api/", StringComparison.Ordinal)), Is.Empty);
    }

    // ---- the converter seam ----

    [Test]
    public async Task Convert_GoesThroughTheSeam_IntoDirNameType()
    {
        var repo = MobileLlmRepo();
        var converter = new RecordingConverter();

        var result = await Puller(converter).PullAsync(Request("mobilellm-125m", convert: true) with { Type = GgmlType.Q4_0 });

        string gguf = Path.Combine(_dir, "mobilellm-125m-q4_0.gguf");
        Assert.That(result.GgufPath, Is.EqualTo(gguf));
        Assert.That(converter.Calls, Is.EqualTo(new[] { (_dir, gguf + ".part", GgmlType.Q4_0) }));
        Assert.That(File.ReadAllText(gguf), Is.EqualTo("GGUF"));
        Assert.That(File.Exists(gguf + ".part"), Is.False);
        Assert.That(File.Exists(Path.Combine(_dir, "model.safetensors")), Is.True);
        _ = repo;
    }

    [Test]
    public void Convert_Failure_LeavesNoGguf()
    {
        MobileLlmRepo();

        Assert.ThrowsAsync<InvalidDataException>(() => Puller(new FailingConverter()).PullAsync(Request(convert: true)));

        Assert.That(Directory.GetFiles(_dir, "*.gguf*"), Is.Empty);
        Assert.That(File.Exists(Path.Combine(_dir, "model.safetensors")), Is.True, "the download is kept for the next try");
    }

    [Test]
    public void DefaultConverter_IsTheHfImporter()
    {
        // an empty folder: the importer itself answers, naming what is missing
        Directory.CreateDirectory(_dir);
        var e = Assert.Catch(() => new HfImporterConverter().Convert(_dir, Path.Combine(_dir, "x.gguf"), GgmlType.Q8_0, null))!;
        Assert.That(e.Message, Does.Contain("config.json"));
        Assert.That(Directory.GetFiles(_dir, "*.gguf*"), Is.Empty);
    }

    // ---- names ----

    [TestCase("mobilellm-125m", "facebook/MobileLLM-125M", "mobilellm-125m")]
    [TestCase("MobileLLM-1.5B", "facebook/MobileLLM-1.5B", "mobilellm-1.5b")]
    [TestCase("mobilellm-350m-ls", "facebook/MobileLLM-350M-layer-share", "mobilellm-350m-ls")]
    [TestCase("someone/My.Model-2", "someone/My.Model-2", "my.model-2")]
    public void KnownNames_MapToMetasRepos(string model, string repo, string local)
    {
        Assert.That(KnownModels.Resolve(model), Is.EqualTo((repo, local)));
    }

    [TestCase("mobilellm-600m-ls", "did not publish")]
    [TestCase("mobilellm-2b", "unknown model")]
    [TestCase("../etc/passwd", "unknown model")]
    [TestCase("a/b/c", "unknown model")]
    public void UnknownOrUnpublishedNames_AreRefusedClearly(string model, string message)
    {
        Assert.That(() => KnownModels.Resolve(model), Throws.ArgumentException.With.Message.Contains(message));
    }

    // ---- through the CLI ----

    private async Task<(int Exit, string Stderr)> Cli(params string[] args)
    {
        var root = new RootCommand { PullCommand.Create(new FailingConverter(), Fast) };
        var saved = Console.Error;
        var err = new StringWriter();
        Console.SetError(err);
        try
        {
            int exit = await root.Parse(args).InvokeAsync();
            return (exit, err.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    [Test]
    public async Task Cli_NoConvert_DownloadsWithTokenAndEndpointFromTheEnvironment()
    {
        var repo = MobileLlmRepo();
        repo.Gated = true;
        repo.AcceptedToken = "hf_from_env";
        string? savedToken = Environment.GetEnvironmentVariable("HF_TOKEN");
        string? savedEndpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT");
        Environment.SetEnvironmentVariable("HF_TOKEN", "hf_from_env");
        Environment.SetEnvironmentVariable("HF_ENDPOINT", _hub.Endpoint.AbsoluteUri);
        try
        {
            var (exit, stderr) = await Cli("pull", "mobilellm-125m", "-o", _dir, "--no-convert");

            Assert.That(exit, Is.Zero, stderr);
            AssertFolderMatches(repo);
            Assert.That(stderr, Does.Not.Contain("hf_from_env"), "the token is never printed");
            Assert.That(_hub.Seen.Where(r => r.Path.Contains("/resolve/", StringComparison.Ordinal)).Select(r => r.Authorization),
                Is.All.EqualTo("Bearer hf_from_env"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_TOKEN", savedToken);
            Environment.SetEnvironmentVariable("HF_ENDPOINT", savedEndpoint);
        }
    }

    [TestCase(null, "401")]
    [TestCase("hf_not_accepted", "403")]
    public async Task Cli_GatedRepo_OneLineSayingWhatToDo_NonZeroExit(string? token, string status)
    {
        var repo = MobileLlmRepo();
        repo.Gated = true;
        repo.AcceptedToken = "hf_accepted";
        string[] args = ["pull", "mobilellm-125m", "-o", _dir, "--endpoint", _hub.Endpoint.AbsoluteUri, "--no-convert"];
        if (token is not null)
            args = [.. args, "--token", token];

        var (exit, stderr) = await WithoutHfEnvironment(() => Cli(args));

        Assert.That(exit, Is.Not.Zero);
        var last = stderr.TrimEnd().Split('\n')[^1];
        Assert.That(last, Does.StartWith("edgellm: facebook/MobileLLM-125M is gated").And.Contain($"HTTP {status}"));
        Assert.That(last, Does.Contain("accept the licence on " + _hub.Endpoint.AbsoluteUri + "facebook/MobileLLM-125M"));
        Assert.That(last, Does.Contain("--token or HF_TOKEN"));
        Assert.That(Directory.GetFiles(_dir).Where(f => !f.EndsWith(".part", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task Cli_MissingRepo_SaysSo_NonZeroExit()
    {
        var (exit, stderr) = await WithoutHfEnvironment(() =>
            Cli("pull", "someone/does-not-exist", "-o", _dir, "--endpoint", _hub.Endpoint.AbsoluteUri, "--no-convert"));

        Assert.That(exit, Is.Not.Zero);
        Assert.That(stderr.Trim(), Does.StartWith("edgellm: repository someone/does-not-exist not found on http://127.0.0.1:"));
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    private static async Task<T> WithoutHfEnvironment<T>(Func<Task<T>> body)
    {
        string? token = Environment.GetEnvironmentVariable("HF_TOKEN");
        Environment.SetEnvironmentVariable("HF_TOKEN", null);
        try
        {
            return await body();
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_TOKEN", token);
        }
    }

    private sealed class NoConverter : IModelConverter
    {
        public void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress) =>
            Assert.Fail("the download tests do not convert");
    }

    private sealed class RecordingConverter : IModelConverter
    {
        public List<(string, string, GgmlType)> Calls { get; } = [];

        public void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress)
        {
            Calls.Add((inputDir, outputPath, type));
            File.WriteAllText(outputPath, "GGUF", Encoding.ASCII);
        }
    }

    private sealed class FailingConverter : IModelConverter
    {
        public void Convert(string inputDir, string outputPath, GgmlType type, TextWriter? progress)
        {
            File.WriteAllText(outputPath, "half a GGUF");
            throw new InvalidDataException("model.safetensors: tensor 'x' missing");
        }
    }
}
