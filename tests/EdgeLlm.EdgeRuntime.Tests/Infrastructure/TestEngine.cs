using EdgeLlm.EdgeRuntime.Service;

namespace EdgeLlm.EdgeRuntime.Tests.Infrastructure;

/// <summary>The real engine on the bundled demo model, as <c>edgellm serve</c> loads it.</summary>
public static class TestEngine
{
    public static IInferenceEngine Load(ServiceOptions options) =>
        LanguageModelEngine.Load(options.ModelPath, options.Threads, options.ContextLength, options.KvCache);
}
