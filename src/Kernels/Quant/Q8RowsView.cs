namespace EdgeLlm.Kernels.Quant;

/// <summary>Raw pointers of a <see cref="Q8Activations"/> buffer (valid while the buffer lives; its arrays are pinned).</summary>
internal readonly unsafe struct Q8RowsView(sbyte* qs, float* scales, int* sums, int capacity, int rows)
{
    public sbyte* Qs { get; } = qs;

    public float* Scales { get; } = scales;

    public int* Sums { get; } = sums;

    public int Capacity { get; } = capacity;

    public int Rows { get; } = rows;
}
