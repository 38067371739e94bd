using System.Text.Json;
using Dapper;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>
/// Agents played by the test through the database: enrolled rows with chosen hostnames, and job
/// transitions written as the agent protocol writes them (queued → leased → running → terminal).
/// The triggers that drive rollouts, locks and runbook runs fire on these updates exactly as on
/// the protocol's; the end-to-end tests use real agents.
/// </summary>
internal static class SimulatedFleet
{
    /// <summary>Inserts an enrolled, online agent with <paramref name="hostname"/>.</summary>
    public static async Task<Guid> SeedAgentAsync(string connectionString, string hostname, IReadOnlyDictionary<string, string>? labels = null, string[]? capabilities = null)
    {
        var id = Guid.CreateVersion7();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.ExecuteAsync(
            """
            INSERT INTO agents (id, hostname, labels, agent_version, capabilities, token_hash, enrolled_at, last_seen_at)
            VALUES (@id, @hostname, @labels::jsonb, '0.1.0', @capabilities, @hash, now(), now())
            """,
            new
            {
                id,
                hostname,
                labels = JsonSerializer.Serialize(labels ?? new Dictionary<string, string>()),
                capabilities = capabilities ?? ["agent.ping", "host.disk", "script.run", "http.check", "postgres.vacuum", "postgres.backup", "postgres.verify-backup"],
                hash = SecretTokens.Hash(Guid.NewGuid().ToString()),
            });
        return id;
    }

    /// <summary>Leases, starts and ends a queued job with <paramref name="status"/>; false when the job is not queued.</summary>
    public static async Task<bool> FinishAsync(string connectionString, Guid jobId, string status, object? result = null, string? error = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var leased = await connection.ExecuteAsync(
            "UPDATE jobs SET status = 'leased', leased_at = now(), lease_expires_at = now() + interval '30 seconds' WHERE id = @jobId AND status = 'queued'",
            new { jobId });
        if (leased == 0)
        {
            return false;
        }

        await connection.ExecuteAsync("UPDATE jobs SET status = 'running', started_at = now() WHERE id = @jobId", new { jobId });
        await connection.ExecuteAsync(
            """
            UPDATE jobs SET status = @status, finished_at = now(), exit_code = CASE WHEN @status = 'succeeded' THEN 0 ELSE 1 END,
                            result = @result::jsonb, error = @error, completed_attempt = attempt, lease_expires_at = NULL
             WHERE id = @jobId
            """,
            new { jobId, status, result = result is null ? null : JsonSerializer.Serialize(result), error });
        return true;
    }

    /// <summary>The jobs of an operation: id, agent hostname, status, batch.</summary>
    public static async Task<IReadOnlyList<SimJob>> JobsAsync(string connectionString, Guid operationId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return (await connection.QueryAsync<SimJob>(
            """
            SELECT j.id, a.hostname, j.status, j.batch, j.released_at, j.finished_at, j.deadline_at, j.error, j.attempt
              FROM jobs j JOIN agents a ON a.id = j.agent_id
             WHERE j.operation_id = @operationId ORDER BY a.hostname
            """, new { operationId })).ToList();
    }

    /// <summary>Waits until <paramref name="condition"/> holds (checked every 50 ms), failing after <paramref name="timeout"/> (default 30 s).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A job row as the fleet sees it.</summary>
    internal sealed class SimJob
    {
        public Guid Id { get; set; }
        public string Hostname { get; set; } = string.Empty;
        public string Status { get; set; } = string.Empty;
        public int? Batch { get; set; }
        public DateTime? ReleasedAt { get; set; }
        public DateTime? FinishedAt { get; set; }
        public DateTime? DeadlineAt { get; set; }
        public string? Error { get; set; }
        public int Attempt { get; set; }
    }
}
