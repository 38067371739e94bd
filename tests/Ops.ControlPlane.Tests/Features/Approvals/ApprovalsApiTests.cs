using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ops.Contracts.Kinds;
using Ops.ControlPlane.Features.Approvals;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;
using Ops.ControlPlane.Tests.TestSupport;
using static Ops.ControlPlane.Tests.Features.Approvals.ApprovalTestSupport;

namespace Ops.ControlPlane.Tests.Features.Approvals;

public sealed class ApprovalsApiTests(ApprovalsApiFactory factory) : IClassFixture<ApprovalsApiFactory>
{
    private static readonly string[] RestoreCapable = ["postgres.restore", "agent.ping"];

    private Task<Guid> SeedRestoreAgentAsync(IReadOnlyDictionary<string, string>? labels = null) =>
        factory.SeedAgentAsync(labels, RestoreCapable);

    private async Task<(Guid OperationId, Guid ApprovalId, JsonElement Operation)> RequestAsync(string requester, string role, object target, string file = "demo-20260101-000000.dump")
    {
        var operation = await RequestRestoreAsync(factory.CreateClient(role, requester), target, file);
        return (operation.GetProperty("id").GetGuid(), operation.GetProperty("approvalId").GetGuid(), operation);
    }

    [Fact]
    public async Task Request_OfARestoreByAnOperator_StartsPendingApprovalBoundToTheResolvedAgents()
    {
        var agent = await SeedRestoreAgentAsync();
        var viewer = factory.CreateClient(Roles.Viewer, "vera");

        var (operationId, approvalId, operation) = await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } });

        Assert.Equal("pending_approval", operation.GetProperty("status").GetString());
        Assert.All(operation.GetProperty("jobs").EnumerateArray(), j => Assert.Equal("pending_approval", j.GetProperty("status").GetString()));
        var approval = await GetAsync(viewer, $"/api/v1/approvals/{approvalId}");
        Assert.Equal("pending", approval.GetProperty("status").GetString());
        Assert.Equal("operation", approval.GetProperty("resourceType").GetString());
        Assert.Equal(operationId.ToString(), approval.GetProperty("resourceId").GetString());
        Assert.Equal("destructive", approval.GetProperty("risk").GetString());
        Assert.Equal("alice", approval.GetProperty("requestedBy").GetString());
        Assert.Equal(1, approval.GetProperty("minApprovals").GetInt32());
        var ttl = approval.GetProperty("expiresAt").GetDateTimeOffset() - approval.GetProperty("requestedAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromHours(24), ttl);
        var request = approval.GetProperty("request");
        Assert.Equal("postgres.restore", request.GetProperty("kind").GetString());
        Assert.Equal("demo-20260101-000000.dump", request.GetProperty("parameters").GetProperty("file").GetString());
        Assert.Equal(3600, request.GetProperty("timeoutSeconds").GetInt32());
        Assert.Equal(50, request.GetProperty("priority").GetInt32());
        var resolved = Assert.Single(request.GetProperty("agents").EnumerateArray());
        Assert.Equal(agent, resolved.GetProperty("id").GetGuid());
        Assert.Equal($"host-{agent.ToString()[^6..]}", resolved.GetProperty("hostname").GetString());

        // The hash is the SHA-256 of the stored canonical text, and that text is canonical.
        var (stored, hashMatches) = (await factory.QueryAsync<(string Request, bool HashMatches)>(
            "SELECT request, encode(sha256(convert_to(request, 'UTF8')), 'hex') = request_hash FROM approvals WHERE id = @approvalId", new { approvalId }))[0];
        Assert.True(hashMatches);
        Assert.Equal(CanonicalJson.Serialize(JsonDocument.Parse(stored).RootElement), stored);
        Assert.Equal(CanonicalJson.Hash(stored), approval.GetProperty("requestHash").GetString());

        var pending = await GetAsync(viewer, "/api/v1/approvals?status=pending&limit=200");
        Assert.Contains(pending.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetGuid() == approvalId);
        var fetched = await GetAsync(viewer, $"/api/v1/operations/{operationId}");
        Assert.Equal(approvalId, fetched.GetProperty("approvalId").GetGuid());

        var hash = approval.GetProperty("requestHash").GetString();
        var audit = await factory.QueryAsync<string>(
            "SELECT details->>'requestHash' FROM audit_log WHERE action = 'approval.request' AND resource_id = @id AND actor = 'alice'", new { id = approvalId.ToString() });
        Assert.Equal(hash, Assert.Single(audit));
        var requested = await factory.QueryAsync<string>(
            "SELECT data::text FROM events WHERE type = 'approval.requested' AND resource_id = @id", new { id = approvalId.ToString() });
        var data = JsonDocument.Parse(Assert.Single(requested)).RootElement;
        Assert.Equal(hash, data.GetProperty("requestHash").GetString());
        Assert.Equal("pending", data.GetProperty("status").GetString());
        Assert.Equal("operation", data.GetProperty("resourceType").GetString());
        Assert.Equal(operationId.ToString(), data.GetProperty("resourceId").GetString());
        Assert.Equal("alice", data.GetProperty("requestedBy").GetString());
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Admin)]
    public async Task Approve_ByTheRequester_IsForbiddenSayingWhy(string requesterRole)
    {
        var agent = await SeedRestoreAgentAsync();
        var requester = $"self-{requesterRole}";
        var (operationId, approvalId, _) = await RequestAsync(requester, requesterRole, new { agentIds = new[] { agent } });

        foreach (var verdict in new[] { "approve", "reject" })
        {
            var problem = await ProblemAssert.IsProblemAsync(
                await DecideAsync(factory.CreateClient(requesterRole, requester), approvalId, verdict, "looks fine to me"), HttpStatusCode.Forbidden);
            Assert.Contains("requested this", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        var approval = await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/approvals/{approvalId}");
        Assert.Equal("pending", approval.GetProperty("status").GetString());
        Assert.Empty(approval.GetProperty("decisions").EnumerateArray());
        Assert.Equal("pending_approval", (await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/operations/{operationId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Approve_ByAnOperatorOrAViewer_OfDestructiveWork_IsForbidden()
    {
        var agent = await SeedRestoreAgentAsync();
        var (_, approvalId, _) = await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } });

        var byOperator = await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Operator, "oscar"), approvalId, "approve"), HttpStatusCode.Forbidden);
        Assert.Contains("admin", byOperator.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Viewer, "vera"), approvalId, "approve"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Viewer, "vera"), approvalId, "reject"), HttpStatusCode.Forbidden);

        var approval = await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/approvals/{approvalId}");
        Assert.Equal("pending", approval.GetProperty("status").GetString());
        Assert.Empty(approval.GetProperty("decisions").EnumerateArray());
    }

    [Fact]
    public async Task Approve_ByASecondAdmin_QueuesExactlyTheFrozenJobs()
    {
        var team = Guid.NewGuid().ToString("N");
        var labels = new Dictionary<string, string> { ["team"] = team };
        var first = await SeedRestoreAgentAsync(labels);
        var (operationId, approvalId, _) = await RequestAsync("alice", Roles.Operator, new { labels });
        var hash = (await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/approvals/{approvalId}")).GetProperty("requestHash").GetString();
        // Enrolled after the request, with matching labels: not part of what was approved.
        var late = await SeedRestoreAgentAsync(labels);
        var before = DateTimeOffset.UtcNow;

        var response = await DecideAsync(factory.CreateClient(Roles.Admin, "bob"), approvalId, "approve", "checked the backup date with alice");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var approval = await response.ReadJsonAsync();
        Assert.Equal("approved", approval.GetProperty("status").GetString());
        Assert.Equal(1, approval.GetProperty("approvals").GetInt32());
        Assert.Equal("bob", approval.GetProperty("decidedBy").GetString());
        var decision = Assert.Single(approval.GetProperty("decisions").EnumerateArray());
        Assert.Equal("bob", decision.GetProperty("by").GetString());
        Assert.Equal("admin", decision.GetProperty("role").GetString());
        Assert.Equal("approve", decision.GetProperty("decision").GetString());
        Assert.Equal("checked the backup date with alice", decision.GetProperty("comment").GetString());
        Assert.Equal(JsonValueKind.String, decision.GetProperty("at").ValueKind);

        var operation = await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/operations/{operationId}");
        Assert.Equal("queued", operation.GetProperty("status").GetString());
        var job = Assert.Single(operation.GetProperty("jobs").EnumerateArray());
        Assert.Equal(first, job.GetProperty("agentId").GetGuid());
        Assert.NotEqual(late, job.GetProperty("agentId").GetGuid());
        Assert.Equal("queued", job.GetProperty("status").GetString());
        // The deadline runs from the release, not from the request.
        Assert.True(job.GetProperty("deadlineAt").GetDateTimeOffset() >= before.AddSeconds(3600).AddSeconds(-5));
        Assert.True(job.GetProperty("deadlineAt").GetDateTimeOffset() < before.AddHours(2));

        var audit = await factory.QueryAsync<(string Actor, string Hash, string Comment)>(
            "SELECT actor, details->>'requestHash', details->>'comment' FROM audit_log WHERE action = 'approval.approve' AND resource_id = @id", new { id = approvalId.ToString() });
        Assert.Equal(("bob", hash!, "checked the backup date with alice"), Assert.Single(audit));
        var decided = await factory.QueryAsync<string>(
            "SELECT data->>'status' FROM events WHERE type = 'approval.decided' AND resource_id = @id", new { id = approvalId.ToString() });
        Assert.Equal("approved", Assert.Single(decided));
    }

    [Fact]
    public async Task Approve_ByTwoAdminsAtOnce_RecordsOneDecisionAndReleasesTheJobsOnce()
    {
        var agent = await SeedRestoreAgentAsync();
        var (operationId, approvalId, _) = await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } });

        var answers = await Task.WhenAll(
            DecideAsync(factory.CreateClient(Roles.Admin, "bob"), approvalId, "approve"),
            DecideAsync(factory.CreateClient(Roles.Admin, "carla"), approvalId, "approve"),
            DecideAsync(factory.CreateClient(Roles.Admin, "dan"), approvalId, "reject"));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var approval = await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/approvals/{approvalId}");
        Assert.Single(approval.GetProperty("decisions").EnumerateArray());
        var expectedJobStatus = approval.GetProperty("status").GetString() == "approved" ? "queued" : "cancelled";
        var job = Assert.Single((await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/operations/{operationId}")).GetProperty("jobs").EnumerateArray());
        Assert.Equal(expectedJobStatus, job.GetProperty("status").GetString());
        Assert.Single(await factory.QueryAsync<string>(
            "SELECT data->>'status' FROM events WHERE type = 'approval.decided' AND resource_id = @id", new { id = approvalId.ToString() }));
    }

    [Fact]
    public async Task Decide_AnAlreadyDecidedRequest_IsAConflict()
    {
        var agent = await SeedRestoreAgentAsync();
        var (_, approvalId, _) = await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } });
        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(factory.CreateClient(Roles.Admin, "bob"), approvalId, "approve")).StatusCode);

        await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Admin, "bob"), approvalId, "approve"), HttpStatusCode.Conflict);
        var other = await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Admin, "carla"), approvalId, "reject"), HttpStatusCode.Conflict);
        Assert.Contains("already approved", other.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Single((await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/approvals/{approvalId}")).GetProperty("decisions").EnumerateArray());
    }

    [Fact]
    public async Task Reject_EndsTheOperationRejectedAndNothingRuns()
    {
        var agent = await SeedRestoreAgentAsync();
        var (operationId, approvalId, _) = await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } });

        // The body is optional.
        var response = await factory.CreateClient(Roles.Admin, "bob").PostAsync($"/api/v1/approvals/{approvalId}/reject", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("rejected", (await response.ReadJsonAsync()).GetProperty("status").GetString());

        var operation = await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/operations/{operationId}");
        Assert.Equal("rejected", operation.GetProperty("status").GetString());
        var job = Assert.Single(operation.GetProperty("jobs").EnumerateArray());
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.Contains("rejected by bob", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, job.GetProperty("leasedAt").ValueKind);
        var late = await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Admin, "carla"), approvalId, "approve"), HttpStatusCode.Conflict);
        Assert.Contains("rejected", late.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("rejected", (await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/operations/{operationId}")).GetProperty("status").GetString());
        Assert.Equal("rejected", Assert.Single(await factory.QueryAsync<string>(
            "SELECT data->>'status' FROM events WHERE type = 'approval.decided' AND resource_id = @id", new { id = approvalId.ToString() })));
    }

    [Fact]
    public async Task Hash_ChangesWithAnyParameterOrTheTargetSet_AndOnlyWithThem()
    {
        var a = await SeedRestoreAgentAsync();
        var b = await SeedRestoreAgentAsync();
        var client = factory.CreateClient(Roles.Operator, "alice");

        async Task<string> HashOf(object target, string file = "demo-1.dump", object? tables = null, int? timeoutSeconds = null)
        {
            var operation = await RequestRestoreAsync(client, target, file, tables, timeoutSeconds);
            var approval = await GetAsync(client, $"/api/v1/approvals/{operation.GetProperty("approvalId").GetGuid()}");
            return approval.GetProperty("requestHash").GetString()!;
        }

        var baseline = await HashOf(new { agentIds = new[] { a } });
        Assert.Equal(baseline, await HashOf(new { agentIds = new[] { a } }));
        var hashes = new[]
        {
            baseline,
            await HashOf(new { agentIds = new[] { a } }, file: "demo-2.dump"),
            await HashOf(new { agentIds = new[] { a } }, tables: new[] { "users" }),
            await HashOf(new { agentIds = new[] { a } }, timeoutSeconds: 600),
            await HashOf(new { agentIds = new[] { b } }),
            await HashOf(new { agentIds = new[] { a, b } }),
        };
        Assert.Equal(hashes.Length, hashes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(hashes, h => Assert.Matches("^[0-9a-f]{64}$", h));
    }

    [Fact]
    public async Task Decide_WithBadInput_IsAClearError()
    {
        var agent = await SeedRestoreAgentAsync();
        var (_, approvalId, _) = await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } });
        var bob = factory.CreateClient(Roles.Admin, "bob");

        await ProblemAssert.IsProblemAsync(await DecideAsync(bob, Guid.NewGuid(), "approve"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await bob.GetAsync($"/api/v1/approvals/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        await ProblemAssert.HasFieldErrorAsync(await DecideAsync(bob, approvalId, "approve", new string('x', 2001)), "comment");
        await ProblemAssert.HasFieldErrorAsync(await DecideAsync(bob, approvalId, "reject", "a\0b"), "comment");
        await ProblemAssert.IsProblemAsync(await bob.PostRawAsync($"/api/v1/approvals/{approvalId}/approve", "{\"comment\":"), HttpStatusCode.BadRequest);
        await ProblemAssert.HasFieldErrorAsync(await bob.GetAsync("/api/v1/approvals?status=maybe"), "status");
        await ProblemAssert.HasFieldErrorAsync(await bob.GetAsync("/api/v1/approvals?cursor=nope"), "cursor");
        await ProblemAssert.HasFieldErrorAsync(await bob.GetAsync("/api/v1/approvals?limit=0"), "limit");

        // Nothing above was recorded; a comment of exactly 2,000 characters is fine.
        Assert.Equal("pending", (await GetAsync(bob, $"/api/v1/approvals/{approvalId}")).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await DecideAsync(bob, approvalId, "approve", new string('x', 2000))).StatusCode);
    }

    [Fact]
    public async Task Cancel_OfAPendingOperation_WithdrawsItsApproval()
    {
        var agent = await SeedRestoreAgentAsync();
        var (operationId, approvalId, _) = await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } });

        Assert.Equal(HttpStatusCode.Accepted, (await factory.CreateClient(Roles.Operator, "alice").PostAsync($"/api/v1/operations/{operationId}/cancel", null)).StatusCode);

        var approval = await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/approvals/{approvalId}");
        Assert.Equal("cancelled", approval.GetProperty("status").GetString());
        await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Admin, "bob"), approvalId, "approve"), HttpStatusCode.Conflict);
        Assert.Equal("cancelled", (await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/operations/{operationId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task NonDestructiveWork_RunsWithoutAnApproval()
    {
        var agent = await SeedRestoreAgentAsync();
        var response = await factory.CreateClient(Roles.Operator, "alice").PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agent } } });

        var operation = await response.ReadJsonAsync();
        Assert.Equal("queued", operation.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, operation.GetProperty("approvalId").ValueKind);
    }

    [Fact]
    public async Task GenericApproval_NeedingTwo_StaysPendingAfterOneAndProceedsOnTheSecondDistinctPerson()
    {
        var resourceId = Guid.NewGuid().ToString();
        var content = new { change = "rotate certificates", hosts = new[] { "web-1", "web-2" } };
        var store = factory.Services.GetRequiredService<ApprovalStore>();
        ApprovalResponse requested;
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            requested = await store.RequestAsync(
                connection, transaction, RecordingApprovalTarget.Type, resourceId, content, OperationRisk.Mutating, 2, new Caller("carol", Roles.Operator, null, null), default);
            await transaction.CommitAsync();
        }

        var first = await DecideAsync(factory.CreateClient(Roles.Operator, "dave"), requested.Id, "approve", "ok");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var afterOne = await first.ReadJsonAsync();
        Assert.Equal("pending", afterOne.GetProperty("status").GetString());
        Assert.Equal(1, afterOne.GetProperty("approvals").GetInt32());
        Assert.False(factory.Target.Transitions.ContainsKey(resourceId));
        // One person counts once.
        await ProblemAssert.IsProblemAsync(await DecideAsync(factory.CreateClient(Roles.Admin, "dave"), requested.Id, "approve"), HttpStatusCode.Conflict);
        Assert.Equal("pending", (await GetAsync(factory.CreateClient(Roles.Viewer), $"/api/v1/approvals/{requested.Id}")).GetProperty("status").GetString());

        var second = await (await DecideAsync(factory.CreateClient(Roles.Operator, "erin"), requested.Id, "approve")).ReadJsonAsync();

        Assert.Equal("approved", second.GetProperty("status").GetString());
        Assert.Equal(["dave", "erin"], second.GetProperty("decisions").EnumerateArray().Select(d => d.GetProperty("by").GetString()!).ToArray());
        Assert.Equal("released", factory.Target.Transitions[resourceId]);
        await using var reader = new NpgsqlConnection(factory.ConnectionString);
        await reader.OpenAsync();
        Assert.NotNull(await store.FindApprovedAsync(reader, null, RecordingApprovalTarget.Type, resourceId, ApprovalStore.HashOf(content).Hash, default));
        var changed = new { change = "rotate certificates", hosts = new[] { "web-1", "web-2", "web-3" } };
        Assert.Null(await store.FindApprovedAsync(reader, null, RecordingApprovalTarget.Type, resourceId, ApprovalStore.HashOf(changed).Hash, default));
    }

    [Fact]
    public async Task List_IsKeysetPaginatedNewestFirstAndFiltersByResource()
    {
        var agent = await SeedRestoreAgentAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await RequestAsync("alice", Roles.Operator, new { agentIds = new[] { agent } }, $"demo-list-{i}.dump")).ApprovalId);
        }

        var viewer = factory.CreateClient(Roles.Viewer);
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await GetAsync(viewer, $"/api/v1/approvals?status=pending&limit=2{(cursor is null ? string.Empty : $"&cursor={cursor}")}");
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(seen.OrderDescending(), seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Subset(seen.ToHashSet(), ids.ToHashSet());
        var operationId = (await GetAsync(viewer, $"/api/v1/approvals/{ids[1]}")).GetProperty("resourceId").GetString();
        var byResource = await GetAsync(viewer, $"/api/v1/approvals?resourceType=operation&resourceId={operationId}");
        Assert.Equal(ids[1], Assert.Single(byResource.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
    }
}
