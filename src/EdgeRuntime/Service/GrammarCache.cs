using System.Text.Json;
using EdgeLlm.Kernels.Grammar;

namespace EdgeLlm.EdgeRuntime.Service;

/// <summary>
/// Compiled grammars of recent requests, by their text: a schema or GBNF sent again reuses the compiled grammar and,
/// through it, the token-mask cache the engine keeps per grammar instance (a cold cache costs about 1 ms a token more
/// on MobileLLM-125M for the first hundred tokens: docs/structured-output.md). Least recently used out first.
/// </summary>
public sealed class GrammarCache(int capacity = 32)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(string Key, CompiledGrammar Grammar)> _order = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, CompiledGrammar Grammar)>> _map = new(StringComparer.Ordinal);

    /// <summary>The grammar of a JSON Schema (compact text as the key); throws <see cref="GrammarException"/>.</summary>
    public CompiledGrammar Schema(JsonElement schema) => Get("s\n" + schema.GetRawText(), () => CompiledGrammar.FromJsonSchema(schema));

    /// <summary>The grammar of GBNF text; throws <see cref="GrammarException"/>.</summary>
    public CompiledGrammar Gbnf(string text) => Get("g\n" + text, () => CompiledGrammar.FromGbnf(text));

    private CompiledGrammar Get(string key, Func<CompiledGrammar> compile)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return node.Value.Grammar;
            }
        }

        var grammar = compile();
        lock (_lock)
        {
            if (!_map.ContainsKey(key))
            {
                _map[key] = _order.AddFirst((key, grammar));
                while (_map.Count > capacity)
                {
                    _map.Remove(_order.Last!.Value.Key);
                    _order.RemoveLast();
                }
            }

            return _map[key].Value.Grammar;
        }
    }
}
