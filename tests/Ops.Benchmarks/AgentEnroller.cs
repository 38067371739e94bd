using Ops.ControlPlane.Tests.TestSupport;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;

namespace Ops.Benchmarks;

/// <summary>Enrolls simulated agents over the real <c>Enroll</c> RPC, a bounded number at a time.</summary>
internal static class AgentEnroller
{
    /// <summary>
    /// Creates an enrollment token through <c>POST /api/v1/enrollment-tokens</c> (admin); agents
    /// enrolled with it get label <c>bench=true</c> and <paramref name="labels"/>.
    /// </summary>
    /// <returns>The token text (shown once).</returns>
    public static async Task<string> CreateTokenAsync(
        HttpClient api, int maxUses, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? labels = null)
    {
        var all = new Dictionary<string, string>(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal) { ["bench"] = "true" };
        using var created = await api.PostAsJsonAsync(
            "/api/v1/enrollment-tokens",
            new { maxUses, expiresInMinutes = 120, labels = all },
            cancellationToken);
        created.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(cancellationToken));
        return body.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>
    /// Enrolls <paramref name="count"/> agents named <c>{prefix}-{n}</c> with capability <c>agent.ping</c>,
    /// at most <paramref name="parallelism"/> Enroll calls in flight; agent n uses <c>pool.ForAgent(n)</c>.
    /// </summary>
    /// <returns>The agents in index order.</returns>
    public static async Task<EnrolledAgent[]> EnrollAsync(
        string enrollmentToken, ChannelPool pool, int count, string prefix, int parallelism, CancellationToken cancellationToken)
    {
        var agents = new EnrolledAgent[count];
        await Parallel.ForAsync(
            0,
            count,
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var client = new AgentClient(pool.ForAgent(i));
                var request = new EnrollRequest { EnrollmentToken = enrollmentToken, Hostname = $"{prefix}-{i}", AgentVersion = "bench" };
                request.Capabilities.Add("agent.ping");
                var enrolled = await client.EnrollAsync(request, DateTimeOffset.UtcNow.AddSeconds(60), ct);
                client.AgentToken = enrolled.AgentToken;
                var body = Encoding.UTF8.GetBytes($$$"""{"kind":"agent.ping","target":{"agentIds":["{{{enrolled.AgentId}}}"]}}""");
                agents[i] = new EnrolledAgent(enrolled.AgentId, client, body);
            });
        return agents;
    }
}
