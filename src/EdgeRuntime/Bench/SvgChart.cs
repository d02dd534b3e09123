using System.Globalization;
using System.Security;
using System.Text;

namespace EdgeLlm.EdgeRuntime.Bench;

/// <summary>
/// Grouped bar chart of the bench, as standalone SVG: two panels (decode, prefill), one group of bars per thread count
/// (edgellm, llama.cpp), the value on every bar, and in the decode panel the memory-bandwidth bound of that thread
/// count as a dashed line across its group.
/// </summary>
public static class SvgChart
{
    public const string OursColor = "#2563eb";
    public const string LlamaColor = "#f59e0b";
    public const string BoundColor = "#dc2626";

    private const int Width = 1000, Height = 520, PanelTop = 96, PanelHeight = 330, PanelWidth = 420;
    private static readonly int[] PanelLeft = [80, 570];

    public static string Render(BenchResult r)
    {
        var sb = new StringBuilder();
        sb.Append(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"));
        sb.Append(Inv($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n"));
        bool llama = r.Runs.Any(x => x.LlamaCpp is not null);
        string title = $"{r.ModelName} {r.WeightType}: edgellm{(llama ? " vs llama.cpp" : "")}";
        sb.Append(Inv($"<text x=\"{Width / 2}\" y=\"32\" text-anchor=\"middle\" font-size=\"20\" font-weight=\"bold\" fill=\"#111827\">{Esc(title)}</text>\n"));
        string sub = $"prompt {r.Options.PromptTokens} tokens, {r.Options.GenTokens} generated (greedy); median of {r.Options.Repetitions}; " +
                     $"{r.BytesPerToken / 1e6:0.##} MB read per token; kernel {r.Kernel}";
        sb.Append(Inv($"<text x=\"{Width / 2}\" y=\"56\" text-anchor=\"middle\" font-size=\"13\" fill=\"#4b5563\">{Esc(sub)}</text>\n"));

        Panel(sb, r, PanelLeft[0], "Decode (tokens/s)", x => x.Ours.DecodeTokS, x => x.LlamaCpp?.DecodeTokS, withBound: true);
        Panel(sb, r, PanelLeft[1], "Prefill (tokens/s)", x => x.Ours.PrefillTokS, x => x.LlamaCpp?.PrefillTokS, withBound: false);

        // Legend
        int ly = Height - 28, lx = 250;
        Legend(sb, ref lx, ly, OursColor, "edgellm", bar: true);
        if (llama)
        {
            Legend(sb, ref lx, ly, LlamaColor, "llama.cpp (LLamaSharp)", bar: true);
        }

        Legend(sb, ref lx, ly, BoundColor, "working-set bandwidth bound (decode)", bar: false);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static void Panel(StringBuilder sb, BenchResult r, int left, string title, Func<ThreadResult, double> ours, Func<ThreadResult, double?> theirs, bool withBound)
    {
        int bottom = PanelTop + PanelHeight;
        double max = r.Runs.Max(x => Math.Max(ours(x), Math.Max(theirs(x) ?? 0, withBound ? x.BoundTokS : 0)));
        double step = NiceStep(max / 5);
        double top = Math.Max(step, Math.Ceiling(max * 1.08 / step) * step);
        double Y(double v) => bottom - (v / top * PanelHeight);

        sb.Append(Inv($"<text x=\"{left + (PanelWidth / 2)}\" y=\"{PanelTop - 16}\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\" fill=\"#111827\">{Esc(title)}</text>\n"));
        for (double v = 0; v <= top + (step / 2); v += step)
        {
            double y = Y(v);
            sb.Append(Inv($"<line x1=\"{left}\" y1=\"{y:F1}\" x2=\"{left + PanelWidth}\" y2=\"{y:F1}\" stroke=\"#e5e7eb\" stroke-width=\"1\"/>\n"));
            sb.Append(Inv($"<text x=\"{left - 8}\" y=\"{y + 4:F1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#374151\">{v:0.##}</text>\n"));
        }

        sb.Append(Inv($"<line x1=\"{left}\" y1=\"{PanelTop}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"#374151\" stroke-width=\"1.5\"/>\n"));
        sb.Append(Inv($"<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{left + PanelWidth}\" y2=\"{bottom}\" stroke=\"#374151\" stroke-width=\"1.5\"/>\n"));
        sb.Append(Inv($"<text transform=\"translate({left - 52},{PanelTop + (PanelHeight / 2)}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#374151\">tokens per second</text>\n"));
        sb.Append(Inv($"<text x=\"{left + (PanelWidth / 2)}\" y=\"{bottom + 40}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#374151\">threads</text>\n"));

        int groups = r.Runs.Count;
        double groupWidth = (double)PanelWidth / groups;
        bool anyLlama = r.Runs.Any(x => theirs(x) is not null);
        int bars = anyLlama ? 2 : 1;
        double barWidth = Math.Min(70, groupWidth * 0.7 / bars);
        for (int g = 0; g < groups; g++)
        {
            var run = r.Runs[g];
            double center = left + (groupWidth * (g + 0.5));
            double x0 = center - (barWidth * bars / 2);
            Bar(sb, x0, barWidth, ours(run), Y, bottom, OursColor, "edgellm", run.Threads);
            if (theirs(run) is { } t)
            {
                Bar(sb, x0 + barWidth, barWidth, t, Y, bottom, LlamaColor, "llama.cpp", run.Threads);
            }

            sb.Append(Inv($"<text x=\"{center:F1}\" y=\"{bottom + 20}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#111827\">{run.Threads}</text>\n"));
            if (withBound)
            {
                double y = Y(run.BoundTokS), xa = x0 - 10, xb = x0 + (barWidth * bars) + 10;
                sb.Append(Inv($"<line class=\"bound\" data-threads=\"{run.Threads}\" data-value=\"{run.BoundTokS:F1}\" x1=\"{xa:F1}\" y1=\"{y:F1}\" x2=\"{xb:F1}\" y2=\"{y:F1}\" stroke=\"{BoundColor}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"));
                sb.Append(Inv($"<text x=\"{xb:F1}\" y=\"{y - 5:F1}\" text-anchor=\"end\" font-size=\"11\" fill=\"{BoundColor}\">bound {run.BoundTokS:F0} ({run.BandwidthGbs:F0} GB/s)</text>\n"));
            }
        }
    }

    private static void Bar(StringBuilder sb, double x, double width, double value, Func<double, double> y, int bottom, string color, string series, int threads)
    {
        double top = y(value);
        sb.Append(Inv($"<rect class=\"bar\" data-series=\"{series}\" data-threads=\"{threads}\" data-value=\"{value:F1}\" x=\"{x + 2:F1}\" y=\"{top:F1}\" width=\"{width - 4:F1}\" height=\"{bottom - top:F1}\" fill=\"{color}\" rx=\"2\"/>\n"));
        double ty = Math.Max(top - 6, PanelTop + 10);
        sb.Append(Inv($"<text x=\"{x + (width / 2):F1}\" y=\"{ty:F1}\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\" fill=\"#111827\">{value:F0}</text>\n"));
    }

    private static void Legend(StringBuilder sb, ref int x, int y, string color, string label, bool bar)
    {
        sb.Append(bar
            ? Inv($"<rect x=\"{x}\" y=\"{y - 11}\" width=\"14\" height=\"14\" fill=\"{color}\" rx=\"2\"/>\n")
            : Inv($"<line x1=\"{x - 2}\" y1=\"{y - 4}\" x2=\"{x + 16}\" y2=\"{y - 4}\" stroke=\"{color}\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>\n"));
        sb.Append(Inv($"<text x=\"{x + 20}\" y=\"{y}\" font-size=\"13\" fill=\"#111827\">{Esc(label)}</text>\n"));
        x += 40 + (label.Length * 8);
    }

    private static double NiceStep(double raw)
    {
        if (!(raw > 0))
        {
            return 1;
        }

        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    }

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
