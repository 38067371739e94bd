namespace Ops.ControlPlane.Features.Schedules;

/// <summary>
/// Answer of <c>POST /api/v1/schedules/{name}/trigger</c>: the slot it recorded
/// (<c>started</c>, <c>skipped</c> or <c>failed</c>), or — under <c>buffer_one</c> while the previous run is
/// unfinished — <paramref name="Buffered"/> with no slot yet (it starts when that run ends).
/// </summary>
public sealed record ScheduleTriggerResponse(string Schedule, DateTimeOffset SlotAt, bool Buffered, ScheduleSlotResponse? Slot);
