namespace Ops.Contracts.Agent;

/// <summary>
/// Size limits of the agent protocol (DESIGN.md §4), one definition for both sides, in bytes.
/// A message over <see cref="MaxMessageBytes"/> is refused with RESOURCE_EXHAUSTED by either
/// side (the gRPC default of 4 MiB); the agent keeps every request well under it.
/// </summary>
public static class AgentProtocolLimits
{
    /// <summary>Largest message either side sends or accepts: 4 MiB.</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Largest <c>Complete.result_json</c>, counted in UTF-8 bytes: 64 KiB. A result is a small
    /// structured outcome; bulk data goes to the output. The control plane refuses more with
    /// INVALID_ARGUMENT; the agent replaces a larger result by an error result before sending.
    /// </summary>
    public const int MaxResultJsonBytes = 64 * 1024;

    /// <summary>Largest sum of chunk data in one <c>AppendOutput</c> request the agent sends: 1 MiB.</summary>
    public const int MaxOutputRequestBytes = 1024 * 1024;

    /// <summary>Largest <c>data</c> of one output chunk the agent sends: 256 KiB.</summary>
    public const int MaxChunkBytes = 256 * 1024;
}
