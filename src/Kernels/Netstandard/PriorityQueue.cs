namespace System.Collections.Generic;

/// <summary>
/// netstandard2.1 stand-in for the .NET 6 priority queue, only what the tokenizer uses: a binary min-heap by
/// priority. Elements of equal priority may leave in another order than .NET's 4-ary heap; the tokenizer's order is
/// total up to stale entries, which it discards, so its results do not depend on it.
/// </summary>
internal sealed class PriorityQueue<TElement, TPriority>(int initialCapacity, IComparer<TPriority>? comparer)
{
    private readonly List<(TElement Element, TPriority Priority)> _heap = new(initialCapacity);
    private readonly IComparer<TPriority> _comparer = comparer ?? Comparer<TPriority>.Default;

    public int Count => _heap.Count;

    public void Enqueue(TElement element, TPriority priority)
    {
        _heap.Add((element, priority));
        int i = _heap.Count - 1;
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (_comparer.Compare(_heap[i].Priority, _heap[parent].Priority) >= 0)
            {
                break;
            }

            (_heap[i], _heap[parent]) = (_heap[parent], _heap[i]);
            i = parent;
        }
    }

    public bool TryDequeue(out TElement element, out TPriority priority)
    {
        if (_heap.Count == 0)
        {
            element = default!;
            priority = default!;
            return false;
        }

        (element, priority) = _heap[0];
        int last = _heap.Count - 1;
        _heap[0] = _heap[last];
        _heap.RemoveAt(last);
        int i = 0;
        while (true)
        {
            int left = (2 * i) + 1, right = left + 1, smallest = i;
            if (left < _heap.Count && _comparer.Compare(_heap[left].Priority, _heap[smallest].Priority) < 0)
            {
                smallest = left;
            }

            if (right < _heap.Count && _comparer.Compare(_heap[right].Priority, _heap[smallest].Priority) < 0)
            {
                smallest = right;
            }

            if (smallest == i)
            {
                return true;
            }

            (_heap[i], _heap[smallest]) = (_heap[smallest], _heap[i]);
            i = smallest;
        }
    }
}
