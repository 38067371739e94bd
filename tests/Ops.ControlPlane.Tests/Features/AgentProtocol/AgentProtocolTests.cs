using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Ops.Contracts.Agent.V1;
using Grpc.Core;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit.Abstractions;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

public sealed class AgentProtocolTests(OpsGrpcFactory factory, ITestOutputHelper output) : IClassFixture<OpsGrpcFactory>
{
    private async Task<JsonElement> SubmitAsync(string agentId, string kind = "agent.ping", int? timeoutSeconds = null, object? parameters = null)
    {
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new
        {
            kind,
            parameters,
            target = new { agentIds = new[] { Guid.Parse(agentId) } },
            timeoutSeconds,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadJsonAsync();
    }

    private static OutputChunk Chunk(long seq, string text, OutputStream stream = OutputStream.Stdout) => new()
    {
        Seq = seq,
        Stream = stream,
        Data = ByteString.CopyFromUtf8(text),
        At = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
    };

    private async Task<JsonElement> GetJobAsync(string jobId) =>
        await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/jobs/{jobId}")).ReadJsonAsync();

    [Fact]
    public async Task Enroll_WithAValidToken_ReturnsAnIdentityWithMergedLabelsAndConsumesTheToken()
    {
        var admin = factory.CreateClient(Roles.Admin);
        var token = (await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { labels = new { env = "prod" }, maxUses = 1 })).ReadJsonAsync()).GetProperty("token").GetString()!;
        var client = factory.CreateAgentClient();
        var request = new EnrollRequest { EnrollmentToken = token, Hostname = "db-1", AgentVersion = "1.2.3", Facts = new HostFacts { Os = "Debian 12", CpuCount = 2 } };
        request.Labels["env"] = "dev";
        request.Labels["role"] = "db";
        request.Capabilities.Add("agent.ping");

        var enrolled = await client.EnrollAsync(request);
        var again = await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(request));

        Assert.StartsWith("opsagt_", enrolled.AgentToken, StringComparison.Ordinal);
        Assert.True(enrolled.HeartbeatIntervalMs > 0);
        Assert.Equal(StatusCode.Unauthenticated, again.StatusCode);
        var agent = await (await admin.GetAsync($"/api/v1/agents/{enrolled.AgentId}")).ReadJsonAsync();
        Assert.Equal("prod", agent.GetProperty("labels").GetProperty("env").GetString());
        Assert.Equal("db", agent.GetProperty("labels").GetProperty("role").GetString());
        Assert.Equal("Debian 12", agent.GetProperty("facts").GetProperty("os").GetString());
        Assert.Equal("online", agent.GetProperty("status").GetString());
        var audit = await (await admin.GetAsync("/api/v1/audit?action=agent.enroll&limit=500")).ReadJsonAsync();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), i => i.GetProperty("resourceId").GetString() == enrolled.AgentId);
    }

    [Theory]
    [InlineData("", "h", StatusCode.InvalidArgument)]
    [InlineData("opsenr_unknown", "h", StatusCode.Unauthenticated)]
    [InlineData("opsenr_unknown", "", StatusCode.InvalidArgument)]
    public async Task Enroll_WithBadInput_IsRefusedWithTheRightStatus(string token, string hostname, StatusCode expected)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => factory.CreateAgentClient().EnrollAsync(new EnrollRequest { EnrollmentToken = token, Hostname = hostname }));
        Assert.Equal(expected, ex.StatusCode);
    }

    [Fact]
    public async Task Texts_PostgreSqlCannotStore_AreRefusedOrReplacedNeverAnInternalError()
    {
        var admin = factory.CreateClient(Roles.Admin);
        var token = (await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { })).ReadJsonAsync()).GetProperty("token").GetString()!;
        var badHost = await Assert.ThrowsAsync<RpcException>(() => factory.CreateAgentClient().EnrollAsync(new EnrollRequest { EnrollmentToken = token, Hostname = "db\0-1" }));
        Assert.Equal(StatusCode.InvalidArgument, badHost.StatusCode);

        var (agentId, client) = await factory.EnrollAgentAsync();
        await SubmitAsync(agentId);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 });
        var nulResult = await Assert.ThrowsAsync<RpcException>(() => client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = 1, Outcome = JobOutcome.Succeeded, ResultJson = "{\"x\":\"a\\u0000b\"}" }));
        Assert.Equal(StatusCode.InvalidArgument, nulResult.StatusCode);
        Assert.True((await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = 1, Outcome = JobOutcome.Failed, Error = "bad\0byte" })).Accepted);
        Assert.Equal("bad\uFFFDbyte", (await GetJobAsync(job.JobId)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Calls_WithoutOrWithAnUnknownToken_AreUnauthenticated()
    {
        var none = await Assert.ThrowsAsync<RpcException>(() => factory.CreateAgentClient().PullAsync(new PullRequest { MaxJobs = 1 }));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => factory.CreateAgentClient("opsagt_nope").HeartbeatAsync(new HeartbeatRequest()));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
    }

    [Fact]
    public async Task RevokedAgent_IsUnauthenticatedOnItsNextCall()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        await client.HeartbeatAsync(new HeartbeatRequest());

        await factory.CreateClient(Roles.Admin).PostAsync($"/api/v1/agents/{agentId}/revoke", null);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.HeartbeatAsync(new HeartbeatRequest()));
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task Lifecycle_PullStartOutputHeartbeatComplete_IsVisibleOverRest()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var operation = await SubmitAsync(agentId);

        var pulled = await client.PullAsync(new PullRequest { MaxJobs = 5, WaitMs = 5000 });
        var job = Assert.Single(pulled.Jobs);
        Assert.Equal("agent.ping", job.Kind);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(operation.GetProperty("id").GetString(), job.OperationId);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", job.Traceparent);
        Assert.True(job.Deadline.ToDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal("leased", (await GetJobAsync(job.JobId)).GetProperty("status").GetString());

        Assert.True((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 })).Proceed);
        Assert.True((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 })).Proceed);
        var append = new AppendOutputRequest { JobId = job.JobId, Attempt = 1 };
        append.Chunks.Add([Chunk(1, "line one\n"), Chunk(2, "warn\n", OutputStream.Stderr), Chunk(3, "line three\n")]);
        Assert.False((await client.AppendOutputAsync(append)).CancelRequested);
        Assert.False((await client.AppendOutputAsync(append)).CancelRequested);
        var heartbeat = new HeartbeatRequest { Stats = new HostStats { CpuPercent = 12.5, MemoryTotalBytes = 1000, MemoryUsedBytes = 400, Load1 = 0.3 } };
        heartbeat.RunningJobIds.Add(job.JobId);
        heartbeat.Stats.Disks.Add(new DiskUsage { Mount = "/", TotalBytes = 100, FreeBytes = 40 });
        Assert.Empty((await client.HeartbeatAsync(heartbeat)).CancelJobIds);
        var complete = new CompleteRequest
        {
            JobId = job.JobId,
            Attempt = 1,
            Outcome = JobOutcome.Succeeded,
            ResultJson = """{"agentVersion":"0.1.0-test","time":"2026-11-22T00:00:00Z"}""",
            OutputBytes = 25,
        };
        Assert.True((await client.CompleteAsync(complete)).Accepted);
        Assert.True((await client.CompleteAsync(complete)).Accepted);

        var done = await GetJobAsync(job.JobId);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal("0.1.0-test", done.GetProperty("result").GetProperty("agentVersion").GetString());
        var viewer = factory.CreateClient(Roles.Viewer);
        var op = await (await viewer.GetAsync($"/api/v1/operations/{job.OperationId}")).ReadJsonAsync();
        Assert.Equal("succeeded", op.GetProperty("status").GetString());
        var firstPage = await (await viewer.GetAsync($"/api/v1/jobs/{job.JobId}/output?limit=2")).ReadJsonAsync();
        Assert.Equal(["line one\n", "warn\n"], firstPage.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
        Assert.Equal("stderr", firstPage.GetProperty("chunks")[1].GetProperty("stream").GetString());
        Assert.False(firstPage.GetProperty("complete").GetBoolean());
        var rest = await (await viewer.GetAsync($"/api/v1/jobs/{job.JobId}/output?afterSeq={firstPage.GetProperty("lastSeq").GetInt64()}")).ReadJsonAsync();
        Assert.Equal("line three\n", Assert.Single(rest.GetProperty("chunks").EnumerateArray()).GetProperty("text").GetString());
        Assert.True(rest.GetProperty("complete").GetBoolean());
        var agent = await (await viewer.GetAsync($"/api/v1/agents/{agentId}")).ReadJsonAsync();
        Assert.Equal(12.5, agent.GetProperty("stats").GetProperty("cpuPercent").GetDouble());
        Assert.Equal("/", agent.GetProperty("stats").GetProperty("disks")[0].GetProperty("mount").GetString());
    }

    [Fact]
    public async Task Pull_WhenEmpty_ReturnsAsSoonAsAnOperationIsSubmitted()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var stopwatch = Stopwatch.StartNew();
        var pull = client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 20_000 });
        await Task.Delay(300);
        Assert.False(pull.IsCompleted);

        var submitted = Stopwatch.StartNew();
        await SubmitAsync(agentId);
        var response = await pull;
        submitted.Stop();

        Assert.Single(response.Jobs);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"Pull returned only after {stopwatch.Elapsed}");
        output.WriteLine($"POST → Pull response: {submitted.Elapsed.TotalMilliseconds:F1} ms (includes the POST round trip)");
    }

    [Fact]
    public async Task Pull_WithNothingToDo_ReturnsEmptyAfterWaitMs()
    {
        var (_, client) = await factory.EnrollAgentAsync();
        var stopwatch = Stopwatch.StartNew();
        var response = await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 300 });
        Assert.Empty(response.Jobs);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public async Task Pull_LeasesHighestPriorityThenOldestFirst()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var low = (await (await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agentId) } }, priority = 10 })).ReadJsonAsync()).GetProperty("id").GetString();
        var high = (await (await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { Guid.Parse(agentId) } }, priority = 90 })).ReadJsonAsync()).GetProperty("id").GetString();
        var older = (await SubmitAsync(agentId)).GetProperty("id").GetString();
        var newer = (await SubmitAsync(agentId)).GetProperty("id").GetString();

        var order = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            order.Add(Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs).OperationId);
        }

        Assert.Equal(new[] { high, older, newer, low }, order);
    }

    [Fact]
    public async Task Cancel_OverRest_ReachesTheOutstandingPullOfTheRunningJobsAgent()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var operation = await SubmitAsync(agentId);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        Assert.True((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt })).Proceed);
        var pull = client.PullAsync(new PullRequest { MaxJobs = 0, WaitMs = 20_000 });
        await Task.Delay(200);

        var stopwatch = Stopwatch.StartNew();
        await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/operations/{operation.GetProperty("id").GetString()}/cancel", null);
        var response = await pull;
        stopwatch.Stop();

        Assert.Equal([job.JobId], response.CancelJobIds);
        output.WriteLine($"cancel POST → Pull response: {stopwatch.Elapsed.TotalMilliseconds:F1} ms");
        var append = new AppendOutputRequest { JobId = job.JobId, Attempt = job.Attempt };
        Assert.True((await client.AppendOutputAsync(append)).CancelRequested);
        Assert.True((await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Cancelled, Error = "cancelled" })).Accepted);
        Assert.Equal("cancelled", (await GetJobAsync(job.JobId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Start_AfterCancelOfALeasedJob_DoesNotProceed()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var operation = await SubmitAsync(agentId);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);

        await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/operations/{operation.GetProperty("id").GetString()}/cancel", null);

        Assert.False((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt })).Proceed);
        Assert.Equal("cancelled", (await GetJobAsync(job.JobId)).GetProperty("status").GetString());
        Assert.False((await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded })).Accepted);
    }

    [Fact]
    public async Task Calls_ForAnotherAgentsJobUnknownJobsOrStaleAttempts_AreRefusedWithTheRightStatus()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var (_, other) = await factory.EnrollAgentAsync();
        await SubmitAsync(agentId);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);

        var notMine = await Assert.ThrowsAsync<RpcException>(() => other.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 }));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.StartAsync(new StartRequest { JobId = Guid.NewGuid().ToString(), Attempt = 1 }));
        var stale = await Assert.ThrowsAsync<RpcException>(() => client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 7 }));
        var staleOutput = await Assert.ThrowsAsync<RpcException>(() => client.AppendOutputAsync(new AppendOutputRequest { JobId = job.JobId, Attempt = 2 }));
        var malformed = await Assert.ThrowsAsync<RpcException>(() => client.StartAsync(new StartRequest { JobId = "not-a-uuid", Attempt = 1 }));
        var badSeq = new AppendOutputRequest { JobId = job.JobId, Attempt = 1 };
        badSeq.Chunks.Add(Chunk(0, "x"));
        var badChunk = await Assert.ThrowsAsync<RpcException>(() => client.AppendOutputAsync(badSeq));
        var noOutcome = await Assert.ThrowsAsync<RpcException>(() => client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = 1 }));
        var badResult = await Assert.ThrowsAsync<RpcException>(() => client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = 1, Outcome = JobOutcome.Succeeded, ResultJson = "{not json" }));
        var badPull = await Assert.ThrowsAsync<RpcException>(() => client.PullAsync(new PullRequest { MaxJobs = -1 }));

        Assert.Equal(StatusCode.FailedPrecondition, notMine.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, stale.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, staleOutput.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badChunk.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, noOutcome.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badResult.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, badPull.StatusCode);
        Assert.False((await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = 3, Outcome = JobOutcome.Succeeded })).Accepted);
        Assert.Equal("leased", (await GetJobAsync(job.JobId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task LeasedJobNotStarted_IsRedeliveredAfterTheLeaseWithTheNextAttempt()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        await SubmitAsync(agentId);
        var first = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);

        var second = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 15_000 })).Jobs);

        Assert.Equal(first.JobId, second.JobId);
        Assert.Equal(2, second.Attempt);
        var stale = await Assert.ThrowsAsync<RpcException>(() => client.StartAsync(new StartRequest { JobId = first.JobId, Attempt = 1 }));
        Assert.Equal(StatusCode.FailedPrecondition, stale.StatusCode);
        Assert.True((await client.StartAsync(new StartRequest { JobId = second.JobId, Attempt = 2 })).Proceed);
        Assert.Equal(2, (await GetJobAsync(first.JobId)).GetProperty("attempt").GetInt32());
    }

    [Fact]
    public async Task RunningJobWhoseAgentFallsSilent_IsLostOrRetriedByKind()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        await SubmitAsync(agentId);
        var retrySafe = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        await client.StartAsync(new StartRequest { JobId = retrySafe.JobId, Attempt = 1 });
        // A kind that is not retry-safe, running on the same silent agent.
        var unsafeJob = await factory.QueryScalarAsync<Guid>(
            """
            INSERT INTO jobs (id, operation_id, agent_id, kind, status, priority, attempt, created_at, queued_at, deadline_at, leased_at, started_at, lease_expires_at)
            SELECT @id, operation_id, agent_id, 'script.run', 'running', 50, 1, now(), now(), now() + interval '1 hour', now(), now(), now() + interval '1 second'
              FROM jobs WHERE id = @job
            RETURNING id
            """,
            new { id = Guid.CreateVersion7(), job = Guid.Parse(retrySafe.JobId) });

        var redelivered = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 15_000 })).Jobs);

        Assert.Equal(retrySafe.JobId, redelivered.JobId);
        Assert.Equal(2, redelivered.Attempt);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string? status = null;
        while (DateTime.UtcNow < deadline && status != "lost")
        {
            status = (await GetJobAsync(unsafeJob.ToString())).GetProperty("status").GetString();
            await Task.Delay(100);
        }

        Assert.Equal("lost", status);
    }

    [Fact]
    public async Task JobPastItsDeadline_TimesOutAndItsCancellationIsDelivered()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        await SubmitAsync(agentId, timeoutSeconds: 2);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 });
        var keepAlive = new HeartbeatRequest();
        keepAlive.RunningJobIds.Add(job.JobId);
        await client.HeartbeatAsync(keepAlive);

        var response = await client.PullAsync(new PullRequest { MaxJobs = 0, WaitMs = 15_000 });

        Assert.Equal([job.JobId], response.CancelJobIds);
        Assert.Equal("timed_out", (await GetJobAsync(job.JobId)).GetProperty("status").GetString());
        Assert.Contains(job.JobId, (await client.HeartbeatAsync(keepAlive)).CancelJobIds);
        Assert.False((await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = 1, Outcome = JobOutcome.Succeeded })).Accepted);
    }

    [Fact]
    public async Task Output_BeyondItsBound_KeepsHeadAndTailAndIsMarkedTruncated()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        await SubmitAsync(agentId);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 });
        var block = new string('x', 64 * 1024 - 10);
        const int Chunks = 48; // 3 MiB against the 1 MiB bound
        for (var seq = 1; seq <= Chunks; seq += 8)
        {
            var request = new AppendOutputRequest { JobId = job.JobId, Attempt = 1 };
            for (var s = seq; s < seq + 8; s++)
            {
                request.Chunks.Add(Chunk(s, $"{s:D6}|{block}\n"));
            }

            // This fixture's running grace is 2 s: keep the job alive as a real agent does.
            await client.HeartbeatAsync(new HeartbeatRequest { RunningJobIds = { job.JobId } });
            await client.AppendOutputAsync(request);
            await client.AppendOutputAsync(request); // a retry changes nothing
        }

        var viewer = factory.CreateClient(Roles.Viewer);
        var stored = await (await viewer.GetAsync($"/api/v1/jobs/{job.JobId}/output?limit=5000")).ReadJsonAsync();
        var seqs = stored.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("seq").GetInt64()).ToList();
        var bytes = stored.GetProperty("chunks").EnumerateArray().Sum(c => c.GetProperty("text").GetString()!.Length);
        Assert.True(stored.GetProperty("truncated").GetBoolean());
        Assert.InRange(bytes, 512 * 1024, 1024 * 1024);
        Assert.Equal(1, seqs[0]);
        Assert.Equal(Chunks, seqs[^1]);
        Assert.Equal(seqs.Distinct().Count(), seqs.Count);
        Assert.StartsWith("000001|", stored.GetProperty("chunks")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        var jobView = await GetJobAsync(job.JobId);
        Assert.True(jobView.GetProperty("outputTruncated").GetBoolean());
        Assert.InRange(jobView.GetProperty("outputBytes").GetInt64(), 512 * 1024, 1024 * 1024);
    }

    [Fact]
    public async Task OutputWithEventStream_FollowsLiveUntilTheJobEnds()
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        await SubmitAsync(agentId);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = 1 });
        var viewer = factory.CreateClient(Roles.Viewer);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/jobs/{job.JobId}/output");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await viewer.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var producer = Task.Run(async () =>
        {
            for (var seq = 1; seq <= 3; seq++)
            {
                var append = new AppendOutputRequest { JobId = job.JobId, Attempt = 1 };
                append.Chunks.Add(Chunk(seq, $"step {seq}\n"));
                await client.AppendOutputAsync(append);
                await Task.Delay(150);
            }

            await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = 1, Outcome = JobOutcome.Failed, ExitCode = 3, Error = "boom" });
        });

        var events = new List<(string Event, string Data)>();
        string? eventType = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventType = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((eventType!, line[6..]));
                if (eventType == "end")
                {
                    break;
                }
            }
        }

        await producer;
        Assert.Equal(["open", "chunk", "chunk", "chunk", "end"], events.Select(e => e.Event));
        Assert.Equal("running", JsonDocument.Parse(events[0].Data).RootElement.GetProperty("status").GetString());
        Assert.Equal("step 2\n", JsonDocument.Parse(events[2].Data).RootElement.GetProperty("text").GetString());
        Assert.Equal("failed", JsonDocument.Parse(events[4].Data).RootElement.GetProperty("status").GetString());
    }
}
