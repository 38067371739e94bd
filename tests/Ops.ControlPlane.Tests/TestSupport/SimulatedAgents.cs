using System.Text.Json;
using Dapper;
using Npgsql;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// Agents that run the queued jobs of <c>agentIds</c> as a test says (<c>rule</c>: the job's
/// agent, kind and parameters → status, result, error), through <see cref="SimulatedFleet.FinishAsync"/>.
/// A fake agent polls its own queue every 50 ms; the control plane under test never polls.
/// </summary>
internal sealed class SimulatedAgents : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SimulatedAgents(string connectionString, IReadOnlyList<Guid> agentIds, Func<SimulatedJob, (string Status, object? Result, string? Error)> rule)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await using var connection = new NpgsqlConnection(connectionString);
                    var jobs = await connection.QueryAsync<(Guid Id, Guid AgentId, string Kind, string Parameters)>(
                        """
                        SELECT j.id, j.agent_id, j.kind, o.parameters::text FROM jobs j JOIN operations o ON o.id = j.operation_id
                         WHERE j.status = 'queued' AND j.agent_id = ANY(@ids) ORDER BY j.queued_at, j.id
                        """, new { ids = agentIds.ToArray() });
                    foreach (var job in jobs)
                    {
                        var (status, result, error) = rule(new SimulatedJob(job.Id, job.AgentId, job.Kind, JsonDocument.Parse(job.Parameters).RootElement.Clone()));
                        await SimulatedFleet.FinishAsync(connectionString, job.Id, status, result, error);
                    }

                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (NpgsqlException)
                {
                    await Task.Delay(100);
                }
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>A job handed to a simulated agent.</summary>
internal sealed record SimulatedJob(Guid Id, Guid AgentId, string Kind, JsonElement Parameters)
{
    /// <summary>The <c>script</c> of a <c>script.run</c> job.</summary>
    public string? Script => Parameters.TryGetProperty("script", out var s) ? s.GetString() : null;

    /// <summary>A string argument of a <c>script.run</c> job.</summary>
    public string? Argument(string name) =>
        Parameters.TryGetProperty("arguments", out var a) && a.TryGetProperty(name, out var v) ? v.ToString() : null;
}
