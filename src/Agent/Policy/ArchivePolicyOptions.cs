namespace Ops.Agent.Policy;

/// <summary><c>Policy:Archives</c>: where <c>files.archive</c> writes and <c>files.restore-archive</c> reads.</summary>
internal sealed record ArchivePolicyOptions
{
    /// <summary>Absolute folder of the archives and their manifests; created 0700 when missing. Unset: the archive kinds are refused.</summary>
    public string? Directory { get; set; }
}
