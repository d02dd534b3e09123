using System.Xml.Linq;
using EdgeLlm.EdgeRuntime.Bench;
using NUnit.Framework;

namespace EdgeLlm.Bench.Tests;

public class SvgChartTests
{
    [Test]
    public void ChartIsWellFormedWithOneBarPerEngineAndThreadCountAndTheBound()
    {
        var o = new BenchOptions { ModelPath = "m<&>.gguf", Threads = 2, ThreadsList = [1, 2], PromptTokens = 64, GenTokens = 128, Repetitions = 5 };
        var runs = new[]
        {
            new ThreadResult(1, new EngineNumbers(500, 150, 120, 5), new EngineNumbers(490, 170, 130, 5), 38, 280, 129),
            new ThreadResult(2, new EngineNumbers(900, 200, 70, 5), null, 47, 340, 0),
        };
        var r = new BenchResult(o, "MobileLLM <125M> & co", "Q8_0", "AvxVnni", 2048, 132_000_000, 1e6, 90, "f32", 38, null, "llama.cpp", runs);

        var doc = XDocument.Parse(SvgChart.Render(r));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = doc.Descendants(ns + "rect").Where(e => (string?)e.Attribute("class") == "bar").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(doc.Root!.Name, Is.EqualTo(ns + "svg"));
            Assert.That(bars.Count(b => (string?)b.Attribute("data-series") == "edgellm"), Is.EqualTo(4), "decode and prefill, 1 and 2 threads");
            Assert.That(bars.Count(b => (string?)b.Attribute("data-series") == "llama.cpp"), Is.EqualTo(2), "only 1 thread has llama.cpp numbers");
            Assert.That(bars.Single(b => (string?)b.Attribute("data-series") == "llama.cpp" && (string?)b.Attribute("data-value") == "170.0"), Is.Not.Null);
            Assert.That(doc.Descendants(ns + "line").Count(e => (string?)e.Attribute("class") == "bound"), Is.EqualTo(2));
            Assert.That(doc.Descendants(ns + "text").Select(t => t.Value), Has.Some.Contains("MobileLLM <125M> & co"), "escaped text survives");
            Assert.That(doc.Descendants(ns + "text").Select(t => t.Value), Has.Some.EqualTo("tokens per second"));
            Assert.That(doc.Descendants(ns + "text").Select(t => t.Value), Has.Some.EqualTo("threads"));
        });
    }
}
