using System.Diagnostics;
using System.Runtime.CompilerServices;
using EdgeLlm.Kernels.Grammar;
using EdgeLlm.Kernels.Model;
using EdgeLlm.Kernels.Sampling;
using EdgeLlm.Kernels.Tokenization;

namespace EdgeLlm.Kernels.Generation;

/// <summary>
/// Runs prompt → tokens → prefill → sample/forward loop, streaming whole UTF-8 text as it goes.
/// Stops on an end token (EOS, and BOS, which story models emit between stories), a stop string,
/// the token budget, a full context, or cancellation; the final event carries the statistics.
/// </summary>
internal sealed class Generator
{
    private readonly Transformer _model;
    private readonly LlamaTokenizer _tokenizer;
    private readonly int[] _endTokens;
    private readonly int[] _history;
    private readonly ConditionalWeakTable<CompiledGrammar, TokenGrammar> _bound = new();
    private TokenVocabulary? _vocabulary;
    private int _busy;

    public Generator(Transformer model, LlamaTokenizer tokenizer, IEnumerable<int>? extraEndTokens = null)
    {
        if (tokenizer.VocabSize != model.Config.VocabSize)
        {
            throw new ArgumentException($"tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary is {model.Config.VocabSize}");
        }

        _model = model;
        _tokenizer = tokenizer;
        _endTokens = [tokenizer.EosId, tokenizer.BosId, .. extraEndTokens ?? []];
        _history = new int[model.ContextLength];
    }

    /// <summary>
    /// <paramref name="grammar"/> bound to this model's vocabulary, with its mask cache; the same instance for the same
    /// grammar as long as the grammar lives (so warming it once, e.g. at start-up, serves every later generation).
    /// </summary>
    public TokenGrammar Bind(CompiledGrammar grammar)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        _vocabulary ??= TokenVocabulary.FromTokenizer(_tokenizer);
        var v = _vocabulary;
        return _bound.GetValue(grammar, g => new TokenGrammar(g, v));
    }

    /// <summary>Tokens of the prompt as generation would feed them.</summary>
    public int[] Tokenize(string prompt, bool addBos)
    {
        int[] tokens = _tokenizer.Encode(prompt, addBos);
        if (tokens.Length == 0)
        {
            throw new ArgumentException("the prompt is empty and BOS is not added: there is nothing to start from");
        }

        return tokens;
    }

    public async IAsyncEnumerable<TokenEvent> GenerateAsync(
        string prompt,
        GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (options.MaxTokens < 0)
        {
            throw new ArgumentException($"max tokens must be >= 0, got {options.MaxTokens}");
        }

        var filter = new StopStringFilter(options.StopStrings);
        var sampler = new Sampler(_model.Config.VocabSize, options.Sampling);
        int[] prompted = Tokenize(prompt, options.AddBos);
        if (prompted.Length >= _model.ContextLength)
        {
            throw new PromptTooLongException(prompted.Length, _model.ContextLength);
        }

        Enter();
        try
        {
            await Task.Yield(); // the caller gets its enumerator back before the prefill starts
            var clock = Stopwatch.StartNew();
            GrammarMatcher? matcher = options.Grammar is null ? null : Bind(options.Grammar).CreateMatcher();
            ulong[] allowed = matcher is null ? [] : new ulong[matcher.TokenGrammar.Vocabulary.MaskLength];

            // The first token after BOS is printed without its dummy-prefix space, so the grammar must not see it.
            bool afterBos = _tokenizer.AddSpacePrefix && prompted[^1] == _tokenizer.BosId;
            prompted.CopyTo(_history, 0);
            int pos = 0, completion = 0;
            FinishReason? finish = null;
            bool stopString = false;
            // Prefill: the prompt in batches (matrix × matrix kernels), logits only for the last token.
            float[] logits = new float[_model.Config.VocabSize];
            while (pos < prompted.Length)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    finish = FinishReason.Cancelled;
                    break;
                }

                int n = Math.Min(Transformer.MaxBatch, prompted.Length - pos);
                bool last = pos + n == prompted.Length;
                var l = _model.Prefill(prompted.AsSpan(pos, n), pos, last);
                if (last)
                {
                    l.CopyTo(logits);
                }

                pos += n;
            }

            double prefillMs = clock.Elapsed.TotalMilliseconds;
            double firstTokenMs = 0;
            var decoder = _tokenizer.CreateDecoder(prompted[^1]);
            int token = -1;
            if (matcher is not null && !NextMask(matcher, allowed, afterBos))
            {
                finish = FinishReason.Stop; // the grammar matches only the empty string
            }

            while (finish is null)
            {
                if (completion >= options.MaxTokens)
                {
                    finish = FinishReason.Length;
                    break;
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    finish = FinishReason.Cancelled;
                    break;
                }

                if (completion > 0)
                {
                    if (pos >= _model.ContextLength)
                    {
                        finish = FinishReason.Length;
                        break;
                    }

                    _model.Forward(token, pos, true).CopyTo(logits);
                    pos++;
                }

                token = sampler.Sample(logits, _history.AsSpan(0, pos), allowed);
                if (completion == 0)
                {
                    firstTokenMs = clock.Elapsed.TotalMilliseconds;
                }

                if (Array.IndexOf(_endTokens, token) >= 0)
                {
                    finish = FinishReason.Stop;
                    break;
                }

                if (pos < _history.Length)
                {
                    _history[pos] = token;
                }

                completion++;
                if (matcher is not null)
                {
                    matcher.Accept(token, afterBos && completion == 1);
                    if (!NextMask(matcher, allowed, stripLeadingSpace: false))
                    {
                        finish = FinishReason.Stop; // complete: only EOS could follow, no need to run the model for it
                    }
                }

                var (emit, stopped) = filter.Push(decoder.Append(token));
                if (stopped)
                {
                    finish = FinishReason.Stop;
                    stopString = true;
                    if (emit.Length > 0)
                    {
                        yield return new TokenEvent(completion - 1, token, emit, null);
                    }

                    break;
                }

                yield return new TokenEvent(completion - 1, token, emit, null);
            }

            // Text held back for a possible stop string or an unfinished character ends the stream,
            // unless a stop string cut it (what follows a stop string is never shown).
            string tail = "";
            if (!stopString)
            {
                var (emit, stopped) = filter.Push(decoder.Flush());
                tail = stopped ? emit : emit + filter.Flush();
            }

            double totalMs = clock.Elapsed.TotalMilliseconds;
            double decodeMs = totalMs - firstTokenMs;
            var stats = new GenerationStats(
                finish!.Value,
                prompted.Length,
                completion,
                completion > 0 ? firstTokenMs : 0,
                completion > 1 && decodeMs > 0 ? (completion - 1) / (decodeMs / 1000.0) : 0,
                prefillMs > 0 ? prompted.Length / (prefillMs / 1000.0) : 0,
                clock.Elapsed)
            {
                GrammarComplete = matcher?.CanEnd,
            };
            yield return new TokenEvent(completion, -1, tail, stats);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The mask for the next step. Returns false when no token but EOS may follow (the grammar is complete); throws
    /// <see cref="GrammarDeadEndException"/> when nothing may follow and the grammar cannot end either.
    /// </summary>
    private static bool NextMask(GrammarMatcher matcher, ulong[] allowed, bool stripLeadingSpace)
    {
        if (matcher.FillMask(allowed, stripLeadingSpace))
        {
            return true;
        }

        return matcher.CanEnd ? false : throw new GrammarDeadEndException(matcher.State.Position);
    }

    /// <summary>Claims the model for one generation or step; throws when a generation is running.</summary>
    internal void Enter()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("a generation is already running on this model");
        }
    }

    internal void Exit() => Volatile.Write(ref _busy, 0);
}
