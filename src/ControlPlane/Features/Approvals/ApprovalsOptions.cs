namespace Ops.ControlPlane.Features.Approvals;

/// <summary>Section <c>Approvals</c> (DESIGN.md §14), bound and validated at start.</summary>
internal sealed record ApprovalsOptions
{
    public const string Section = "Approvals";

    /// <summary>Longest <see cref="DefaultTtl"/> accepted: 30 days.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(30);

    /// <summary>How long a request waits for its decisions before it ends <c>expired</c> (default 24 h; 1 s – 30 days).</summary>
    public TimeSpan DefaultTtl { get; init; } = TimeSpan.FromHours(24);
}
