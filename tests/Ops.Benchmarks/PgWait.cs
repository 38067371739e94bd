namespace Ops.Benchmarks;

/// <summary>
/// What PostgreSQL's client backends were doing, sampled from <c>pg_stat_activity</c>.
/// </summary>
/// <param name="State"><c>wait_event_type:wait_event</c>, or <c>CPU</c> for an active backend with no wait event (running or runnable).</param>
/// <param name="Statement">The first words of the statement.</param>
/// <param name="Backends">Average number of backends in this state over the samples.</param>
internal sealed record PgWait(string State, string Statement, double Backends);
