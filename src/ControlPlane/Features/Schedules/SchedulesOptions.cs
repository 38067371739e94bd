namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Section <c>Schedules</c>: bounds of the scheduler (DESIGN.md §13), bound and validated at
/// start by <see cref="SchedulesOptionsValidator"/>.
/// </summary>
internal sealed record SchedulesOptions
{
    public const string Section = "Schedules";

    /// <summary>
    /// Shortest interval, in seconds, between two slots of a 6-field (seconds-first) expression;
    /// a schedule firing more often is refused on save (default 1).
    /// </summary>
    public int MinIntervalSeconds { get; init; } = 1;

    /// <summary>
    /// A slot found due within this many seconds of its time starts on time; a slot found later
    /// (the control plane was down) follows the catch-up rule and is marked <c>late</c> when it
    /// starts (default 30 s).
    /// </summary>
    public int LateAfterSeconds { get; init; } = 30;
}
