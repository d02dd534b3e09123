using EdgeLlm.Kernels.Generation;

namespace EdgeLlm.Kernels.Sampling;

/// <summary>
/// Picks the next token from logits: repetition penalty, then greedy (temperature 0) or
/// temperature → top-k → softmax → top-p → a seeded draw. Buffers are sized once for the vocabulary,
/// so sampling does not allocate.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _o;
    private readonly Xoshiro256 _rng;
    private readonly float[] _work;     // penalized logits
    private readonly int[] _candidates; // token ids in play
    private readonly float[] _probs;    // their probabilities, same order

    public Sampler(int vocabSize, SamplingOptions options)
    {
        options.Validate();
        _o = options;
        _rng = new Xoshiro256(options.Seed ?? (ulong)DateTime.UtcNow.Ticks);
        _work = new float[vocabSize];
        _candidates = new int[vocabSize];
        _probs = new float[vocabSize];
    }

    /// <summary>Chooses a token. <paramref name="recent"/> holds the tokens seen so far (prompt and completion).</summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> recent) => Sample(logits, recent, default);

    /// <summary>
    /// Chooses a token among those whose bit is set in <paramref name="allowed"/> (bit id % 64 of word id / 64; empty:
    /// all tokens): the others get a logit of -inf before penalties, greedy, top-k, softmax and top-p, so every setting
    /// works unchanged and can only pick an allowed token. The caller guarantees at least one token is allowed.
    /// </summary>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> recent, ReadOnlySpan<ulong> allowed)
    {
        var l = _work.AsSpan(0, logits.Length);
        logits.CopyTo(l);
        if (!allowed.IsEmpty)
        {
            Mask(l, allowed);
        }

        if (_o.RepetitionPenalty != 1f && _o.RepetitionWindow > 0)
        {
            // llama.cpp's rule: shrink positive logits, push negative ones further down, once per distinct token.
            var window = recent.Length > _o.RepetitionWindow ? recent[^_o.RepetitionWindow..] : recent;
            for (int i = 0; i < window.Length; i++)
            {
                int t = window[i];
                if (window[..i].Contains(t) || (uint)t >= (uint)l.Length)
                {
                    continue;
                }

                l[t] = l[t] > 0 ? l[t] / _o.RepetitionPenalty : l[t] * _o.RepetitionPenalty;
            }
        }

        if (_o.Temperature == 0f)
        {
            return ArgMax(l);
        }

        int n = _o.TopK > 0 && _o.TopK < l.Length ? TopK(l, _o.TopK) : All(l);
        var ids = _candidates.AsSpan(0, n);
        var p = _probs.AsSpan(0, n);

        float max = float.NegativeInfinity;
        foreach (int id in ids)
        {
            max = MathF.Max(max, l[id]);
        }

        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            p[i] = MathF.Exp((l[ids[i]] - max) / _o.Temperature);
            sum += p[i];
        }

        for (int i = 0; i < n; i++)
        {
            p[i] = (float)(p[i] / sum);
        }

        if (_o.TopP < 1f)
        {
            n = Nucleus(ids, p, _o.TopP);
        }

        float total = 0;
        for (int i = 0; i < n; i++)
        {
            total += p[i];
        }

        float r = _rng.NextSingle() * total;
        float cdf = 0;
        for (int i = 0; i < n; i++)
        {
            cdf += p[i];
            if (r < cdf)
            {
                return ids[i];
            }
        }

        // rounding left r at the very top: the last candidate with any probability (a masked one has none)
        for (int i = n - 1; i > 0; i--)
        {
            if (p[i] > 0f)
            {
                return ids[i];
            }
        }

        return ids[0];
    }

    private static void Mask(Span<float> l, ReadOnlySpan<ulong> allowed)
    {
        for (int w = 0; w * 64 < l.Length; w++)
        {
            ulong bits = allowed[w];
            if (bits == ulong.MaxValue)
            {
                continue;
            }

            int end = Math.Min(64, l.Length - (w * 64));
            for (int b = 0; b < end; b++)
            {
                if ((bits >> b & 1) == 0)
                {
                    l[(w * 64) + b] = float.NegativeInfinity;
                }
            }
        }
    }

    /// <summary>Index of the largest value; the lowest index wins a tie (as llama.cpp's greedy sampler).</summary>
    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best])
            {
                best = i;
            }
        }

        return best;
    }

    private int All(ReadOnlySpan<float> l)
    {
        for (int i = 0; i < l.Length; i++)
        {
            _candidates[i] = i;
        }

        return l.Length;
    }

    /// <summary>The k largest logits into candidates[0..k), via a min-heap of size k: O(V log k).</summary>
    private int TopK(ReadOnlySpan<float> l, int k)
    {
        var heap = _candidates.AsSpan(0, k);
        for (int i = 0; i < k; i++)
        {
            heap[i] = i;
            SiftUp(heap, i, l);
        }

        for (int i = k; i < l.Length; i++)
        {
            if (Less(heap[0], i, l))
            {
                heap[0] = i;
                SiftDown(heap, 0, l);
            }
        }

        return k;
    }

    // Order: a token is "less" when its logit is lower, or equal with a higher id (so ties keep low ids).
    private static bool Less(int a, int b, ReadOnlySpan<float> l) => l[a] < l[b] || (l[a] == l[b] && a > b);

    private static void SiftUp(Span<int> h, int i, ReadOnlySpan<float> l)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Less(h[i], h[parent], l))
            {
                break;
            }

            (h[i], h[parent]) = (h[parent], h[i]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> h, int i, ReadOnlySpan<float> l)
    {
        while (true)
        {
            int a = (2 * i) + 1, b = a + 1, m = i;
            if (a < h.Length && Less(h[a], h[m], l))
            {
                m = a;
            }

            if (b < h.Length && Less(h[b], h[m], l))
            {
                m = b;
            }

            if (m == i)
            {
                return;
            }

            (h[i], h[m]) = (h[m], h[i]);
            i = m;
        }
    }

    // One instance: a struct comparer would be boxed by every Sort call.
    private static readonly IComparer<float> Descending = Comparer<float>.Create((a, b) => b.CompareTo(a));

    /// <summary>
    /// Sorts candidates by probability (descending) and keeps the smallest prefix whose mass reaches topP.
    /// Tokens below (1 - topP) / (n - 1) cannot be in the nucleus (llama2.c's cut), so they are dropped before sorting.
    /// </summary>
    private static int Nucleus(Span<int> ids, Span<float> p, float topP)
    {
        int n = ids.Length;
        float cutoff = n > 1 ? (1f - topP) / (n - 1) : 0f;
        int m = 0;
        for (int i = 0; i < n; i++)
        {
            if (p[i] >= cutoff)
            {
                ids[m] = ids[i];
                p[m] = p[i];
                m++;
            }
        }

        p[..m].Sort(ids[..m], Descending);

        float cum = 0;
        for (int i = 0; i < m; i++)
        {
            cum += p[i];
            if (cum >= topP)
            {
                return i + 1;
            }
        }

        return Math.Max(m, 1);
    }
}
