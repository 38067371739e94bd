using System.Net;
using System.Text.Json;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit;

namespace Ops.ControlPlane.Tests.Features.Operations;

public sealed class OperationsApiTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    [Fact]
    public async Task Create_WithExplicitAgents_QueuesOneJobPerAgentAndGetShowsThem()
    {
        var a = await factory.SeedAgentAsync();
        var b = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator, "alice");

        var response = await client.PostJsonAsync("/api/v1/operations", new
        {
            kind = "host.disk",
            parameters = new { minFreeBytes = 10_000_000_000L },
            target = new { agentIds = new[] { a, b } },
            priority = 70,
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var created = await response.ReadJsonAsync();
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/operations/{id}", response.Headers.Location?.ToString());
        Assert.Equal("queued", created.GetProperty("status").GetString());
        Assert.Equal("alice", created.GetProperty("createdBy").GetString());
        Assert.Equal(60, created.GetProperty("timeoutSeconds").GetInt32());

        var fetched = await (await client.GetAsync($"/api/v1/operations/{id}")).ReadJsonAsync();
        var jobs = fetched.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(2, jobs.Count);
        Assert.Equal(new[] { a, b }.Order(), jobs.Select(j => j.GetProperty("agentId").GetGuid()).Order());
        Assert.All(jobs, j =>
        {
            Assert.Equal("queued", j.GetProperty("status").GetString());
            Assert.Equal(1, j.GetProperty("attempt").GetInt32());
            Assert.Equal(70, j.GetProperty("priority").GetInt32());
        });
        Assert.Equal(10_000_000_000L, fetched.GetProperty("parameters").GetProperty("minFreeBytes").GetInt64());

        var job = await (await client.GetAsync($"/api/v1/jobs/{jobs[0].GetProperty("id").GetGuid()}")).ReadJsonAsync();
        Assert.Equal(id, job.GetProperty("operationId").GetGuid());
    }

    [Fact]
    public async Task Create_PlainSubmit_KeepsTheListedOrderAndCountsItsJobsInTheRowAndTheAuditRecord()
    {
        // The one-round-trip submit (OperationStore): job ids follow the listed order, whatever the agents' ids.
        var agents = new[] { await factory.SeedAgentAsync(), await factory.SeedAgentAsync(), await factory.SeedAgentAsync() }.OrderDescending().ToArray();
        var subject = $"order-{Guid.NewGuid():N}";
        var client = factory.CreateClient(Roles.Operator, subject);

        var response = await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = agents } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var created = await response.ReadJsonAsync();
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal(agents, created.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("agentId").GetGuid()));
        var fetched = await (await client.GetAsync($"/api/v1/operations/{id}")).ReadJsonAsync();
        var jobs = fetched.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(agents, jobs.Select(j => j.GetProperty("agentId").GetGuid()));
        Assert.Equal(created.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()), jobs.Select(j => j.GetProperty("id").GetGuid()));
        Assert.All(jobs, j => Assert.Equal(7, j.GetProperty("id").GetGuid().Version));
        Assert.Equal(3, jobs.Select(j => j.GetProperty("id").GetGuid()).Distinct().Count());
        Assert.Equal(3, await factory.QueryScalarAsync<int>("SELECT jobs_total FROM operations WHERE id = @id", new { id }));
        Assert.Equal(3, await factory.QueryScalarAsync<int>("SELECT jobs_queued FROM operations WHERE id = @id", new { id }));
        Assert.Equal("3", Assert.Single(await factory.QueryAsync<string>(
            "SELECT details->>'jobs' FROM audit_log WHERE action = 'operation.create' AND resource_id = @id AND actor = @subject", new { id = id.ToString(), subject })));
    }

    [Fact]
    public async Task Create_WhenAListedAgentIsRevokedOrNoMatchRunsTheKind_Returns400NamingItAndWritesNothing()
    {
        var ok = await factory.SeedAgentAsync();
        var revoked = await factory.SeedAgentAsync(revoked: true);
        var team = Guid.NewGuid().ToString("N");
        await factory.SeedAgentAsync(new Dictionary<string, string> { ["team"] = team }, capabilities: ["agent.ping"]);
        var subject = $"refused-{Guid.NewGuid():N}";
        var client = factory.CreateClient(Roles.Operator, subject);

        var listed = await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { ok, revoked } } });
        var labelled = await client.PostJsonAsync("/api/v1/operations", new { kind = "host.disk", target = new { labels = new Dictionary<string, string> { ["team"] = team } } });

        var problem = await ProblemAssert.IsProblemAsync(listed, HttpStatusCode.BadRequest);
        Assert.Contains($"Agent {revoked} is revoked.", problem.GetProperty("errors").GetProperty("target.agentIds")[0].GetString());
        var none = await ProblemAssert.IsProblemAsync(labelled, HttpStatusCode.BadRequest);
        Assert.Contains("none runs 'host.disk'", none.GetProperty("errors").GetProperty("target.labels")[0].GetString());
        Assert.Equal(0, await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM operations WHERE created_by = @subject", new { subject }));
        Assert.Equal(0, await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM audit_log WHERE actor = @subject", new { subject }));
    }

    [Fact]
    public async Task Create_WithLabelSelector_TargetsOnlyMatchingCapableUnrevokedAgents()
    {
        var team = Guid.NewGuid().ToString("N");
        var match = await factory.SeedAgentAsync(new Dictionary<string, string> { ["team"] = team, ["env"] = "prod" });
        await factory.SeedAgentAsync(new Dictionary<string, string> { ["team"] = team, ["env"] = "dev" });
        await factory.SeedAgentAsync(new Dictionary<string, string> { ["team"] = team, ["env"] = "prod" }, capabilities: ["agent.ping"]);
        await factory.SeedAgentAsync(new Dictionary<string, string> { ["team"] = team, ["env"] = "prod" }, revoked: true);
        var client = factory.CreateClient(Roles.Operator);

        var created = await (await client.PostJsonAsync("/api/v1/operations", new
        {
            kind = "host.disk",
            target = new { labels = new Dictionary<string, string> { ["team"] = team, ["env"] = "prod" } },
        })).ReadJsonAsync();

        var jobs = created.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(match, Assert.Single(jobs).GetProperty("agentId").GetGuid());
    }

    [Fact]
    public async Task Create_TargetingAll_IncludesEveryCapableAgent()
    {
        await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator);
        var capable = await factory.QueryScalarAsync<int>("SELECT count(*)::int FROM agents WHERE revoked_at IS NULL AND 'agent.ping' = ANY(capabilities)");

        var created = await (await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { all = true } })).ReadJsonAsync();

        Assert.Equal(capable, created.GetProperty("jobs").GetArrayLength());
    }

    [Fact]
    public async Task Cancel_QueuedOperation_CancelsEveryJobAndASecondCancelIsAConflict()
    {
        var agent = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator);
        var id = (await (await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } })).ReadJsonAsync()).GetProperty("id").GetGuid();

        var cancel = await client.PostAsync($"/api/v1/operations/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var cancelled = await cancel.ReadJsonAsync();
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.All(cancelled.GetProperty("jobs").EnumerateArray(), j => Assert.Equal("cancelled", j.GetProperty("status").GetString()));
        Assert.NotEqual(JsonValueKind.Null, cancelled.GetProperty("cancelRequestedAt").ValueKind);
        await ProblemAssert.IsProblemAsync(await client.PostAsync($"/api/v1/operations/{id}/cancel", null), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Cancel_RunningJob_MarksTheCancellationForItsAgentAndKeepsItRunning()
    {
        var agent = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator);
        var created = await (await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } })).ReadJsonAsync();
        var id = created.GetProperty("id").GetGuid();
        await factory.QueryScalarAsync<int>("UPDATE jobs SET status = 'running', started_at = now() WHERE operation_id = @id RETURNING 1", new { id });

        var cancelled = await (await client.PostAsync($"/api/v1/operations/{id}/cancel", null)).ReadJsonAsync();

        var job = Assert.Single(cancelled.GetProperty("jobs").EnumerateArray());
        Assert.Equal("running", job.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("cancelRequestedAt").ValueKind);
        Assert.Equal("running", cancelled.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData(new[] { "queued", "queued", "queued" }, "queued")]
    [InlineData(new[] { "succeeded", "queued", "queued" }, "running")]
    [InlineData(new[] { "succeeded", "running", "leased" }, "running")]
    [InlineData(new[] { "succeeded", "succeeded", "succeeded" }, "succeeded")]
    [InlineData(new[] { "succeeded", "failed", "succeeded" }, "failed")]
    [InlineData(new[] { "succeeded", "lost", "cancelled" }, "failed")]
    [InlineData(new[] { "succeeded", "timed_out", "cancelled" }, "timed_out")]
    [InlineData(new[] { "succeeded", "cancelled", "succeeded" }, "cancelled")]
    public async Task OperationStatus_IsDerivedFromItsJobs(string[] jobStatuses, string expected)
    {
        var agents = new[] { await factory.SeedAgentAsync(), await factory.SeedAgentAsync(), await factory.SeedAgentAsync() };
        var client = factory.CreateClient(Roles.Operator);
        var created = await (await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = agents } })).ReadJsonAsync();
        var jobIds = created.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).ToArray();

        for (var i = 0; i < jobIds.Length; i++)
        {
            await factory.QueryScalarAsync<int>("UPDATE jobs SET status = @status WHERE id = @id RETURNING 1", new { status = jobStatuses[i], id = jobIds[i] });
        }

        var operation = await (await client.GetAsync($"/api/v1/operations/{created.GetProperty("id").GetGuid()}")).ReadJsonAsync();
        Assert.Equal(expected, operation.GetProperty("status").GetString());
    }

    [Fact]
    public async Task GetAndCancel_UnknownIds_Are404Problems()
    {
        var client = factory.CreateClient(Roles.Operator);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/api/v1/operations/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.PostAsync($"/api/v1/operations/{Guid.NewGuid()}/cancel", null), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/api/v1/jobs/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await client.GetAsync($"/api/v1/jobs/{Guid.NewGuid()}/output"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_FiltersByStatusKindAndAgent()
    {
        var agent = await factory.SeedAgentAsync();
        var other = await factory.SeedAgentAsync();
        var client = factory.CreateClient(Roles.Operator);
        var ping = (await (await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } })).ReadJsonAsync()).GetProperty("id").GetGuid();
        var disk = (await (await client.PostJsonAsync("/api/v1/operations", new { kind = "host.disk", target = new { agentIds = new[] { agent } } })).ReadJsonAsync()).GetProperty("id").GetGuid();
        var elsewhere = (await (await client.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { other } } })).ReadJsonAsync()).GetProperty("id").GetGuid();
        await client.PostAsync($"/api/v1/operations/{disk}/cancel", null);

        static async Task<List<Guid>> Ids(HttpResponseMessage r) =>
            (await r.ReadJsonAsync()).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();

        var byAgent = await Ids(await client.GetAsync($"/api/v1/operations?agentId={agent}"));
        Assert.Equal([disk, ping], byAgent);
        var cancelledOfAgent = await Ids(await client.GetAsync($"/api/v1/operations?agentId={agent}&status=cancelled"));
        Assert.Equal([disk], cancelledOfAgent);
        var pings = await Ids(await client.GetAsync("/api/v1/operations?kind=agent.ping&limit=200"));
        Assert.Contains(ping, pings);
        Assert.Contains(elsewhere, pings);
        Assert.DoesNotContain(disk, pings);
    }
}
