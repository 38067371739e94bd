using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// Every field an agent sends is checked: a value the control plane cannot use is INVALID_ARGUMENT
/// naming it (never UNKNOWN or INTERNAL, which the agent would retry forever), and a job's output
/// and completion follow its state (DESIGN.md §4–5).
/// </summary>
public sealed class AgentInputValidationTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>
{
    private static readonly Timestamp OutOfRange = new() { Seconds = 999_999_999_999 };
    private static readonly Timestamp NegativeNanos = new() { Seconds = 1, Nanos = -1 };

    private async Task<(AgentClient Client, JobAssignment Job)> StartedJobAsync(bool start = true)
    {
        var (agentId, client) = await factory.EnrollAgentAsync();
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new
        {
            kind = "agent.ping",
            target = new { agentIds = new[] { Guid.Parse(agentId) } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        if (start)
        {
            await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt });
        }

        return (client, job);
    }

    private static async Task AssertInvalidAsync(Func<Task> call, string field)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(field, ex.Status.Detail, StringComparison.Ordinal);
    }

    public static TheoryData<string> BadTimestamps() => new() { "out-of-range", "negative-nanos" };

    [Theory]
    [MemberData(nameof(BadTimestamps))]
    public async Task Timestamps_OutOfTheProtobufRange_AreInvalidArgumentNamingTheField(string which)
    {
        var bad = which == "out-of-range" ? OutOfRange : NegativeNanos;
        var (client, job) = await StartedJobAsync();

        await AssertInvalidAsync(() => client.AppendOutputAsync(new AppendOutputRequest
        {
            JobId = job.JobId, Attempt = job.Attempt, Chunks = { new OutputChunk { Seq = 1, Stream = OutputStream.Stdout, Data = ByteString.CopyFromUtf8("x"), At = bad } },
        }), ".at");
        await AssertInvalidAsync(() => client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded, StartedAt = bad }), "started_at");
        await AssertInvalidAsync(() => client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded, FinishedAt = bad }), "finished_at");
        await AssertInvalidAsync(() => client.HeartbeatAsync(new HeartbeatRequest { Stats = new HostStats { At = bad } }), "stats.at");

        var admin = factory.CreateClient(Roles.Admin);
        var token = (await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { })).ReadJsonAsync()).GetProperty("token").GetString()!;
        using var anonymous = new AgentClient(factory.GrpcAddress);
        await AssertInvalidAsync(() => anonymous.EnrollAsync(new EnrollRequest { EnrollmentToken = token, Hostname = "h", Facts = new HostFacts { BootTime = bad } }), "facts.boot_time");

        // Nothing was stored by the refused calls: the job still completes normally.
        Assert.True((await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded })).Accepted);
    }

    [Theory]
    [InlineData(double.NaN, 1.0)]
    [InlineData(double.PositiveInfinity, 1.0)]
    [InlineData(10.0, double.NegativeInfinity)]
    [InlineData(10.0, double.NaN)]
    [InlineData(101.0, 1.0)]
    public async Task Heartbeat_WithNonFiniteOrImpossibleStats_IsInvalidArgument(double cpu, double load)
    {
        var (_, client) = await factory.EnrollAgentAsync();

        await AssertInvalidAsync(() => client.HeartbeatAsync(new HeartbeatRequest { Stats = new HostStats { CpuPercent = cpu, Load1 = load } }), "stats.");
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    public async Task Complete_WithAnImpossibleOutputByteCount_IsInvalidArgument(long outputBytes)
    {
        var (client, job) = await StartedJobAsync();

        await AssertInvalidAsync(() => client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded, OutputBytes = outputBytes }), "output_bytes");
    }

    [Fact]
    public async Task Complete_FinishedBeforeItStarted_IsInvalidArgument()
    {
        var (client, job) = await StartedJobAsync();
        var now = DateTimeOffset.UtcNow;

        await AssertInvalidAsync(() => client.CompleteAsync(new CompleteRequest
        {
            JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded,
            StartedAt = Timestamp.FromDateTimeOffset(now), FinishedAt = Timestamp.FromDateTimeOffset(now.AddMinutes(-1)),
        }), "started_at");
    }

    [Fact]
    public async Task Complete_OfALeasedJobNeverStarted_IsFailedPrecondition()
    {
        var (client, job) = await StartedJobAsync(start: false);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded }));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.True((await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt })).Proceed);
    }

    [Fact]
    public async Task AppendOutput_AfterTheJobEnded_IsRefusedAndTheOutputDoesNotGrow()
    {
        var (client, job) = await StartedJobAsync();
        await client.AppendOutputAsync(new AppendOutputRequest { JobId = job.JobId, Attempt = job.Attempt, Chunks = { new OutputChunk { Seq = 1, Stream = OutputStream.Stdout, Data = ByteString.CopyFromUtf8("done\n") } } });
        await client.CompleteAsync(new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, Outcome = JobOutcome.Succeeded });

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.AppendOutputAsync(new AppendOutputRequest
        {
            JobId = job.JobId, Attempt = job.Attempt, Chunks = { new OutputChunk { Seq = 2, Stream = OutputStream.Stdout, Data = ByteString.CopyFromUtf8("late\n") } },
        }));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        var output = await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/jobs/{job.JobId}/output")).ReadJsonAsync();
        Assert.Equal(["done\n"], output.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("text").GetString()));
    }

    [Theory]
    [InlineData("99999999H")]
    [InlineData("99999999M")]
    [InlineData("1n")]
    public async Task GrpcTimeout_AtTheEdgesOfTheSpec_IsHonouredWithoutAnInternalError(string timeout)
    {
        var (_, client) = await factory.EnrollAgentAsync();
        using var http = new HttpClient(new SocketsHttpHandler());
        var message = new HeartbeatRequest().ToByteArray();
        var frame = new byte[5 + message.Length];
        frame[4] = (byte)message.Length;
        message.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(factory.GrpcAddress, "/ops.agent.v1.AgentService/Heartbeat")) { Content = new ByteArrayContent(frame), Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("grpc-timeout", timeout);
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + client.AgentToken);

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();

        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var s) ? s.Single()
            : response.Headers.TryGetValues("grpc-status", out var h) ? h.Single() : "none";
        // 1 ns may already be past (DEADLINE_EXCEEDED); a huge timeout is clamped, never INTERNAL.
        Assert.True(timeout == "1n" ? status is "0" or "4" : status == "0", $"{(int)response.StatusCode} grpc-status {status}: {response} {string.Join(",", response.TrailingHeaders.Select(t => t.Key + "=" + string.Join("|", t.Value)))}");
    }
}
