using System.Net;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit.Abstractions;

namespace Ops.ControlPlane.Tests.Fuzz;

/// <summary>
/// Random field values for every agent RPC (fixed seed, 2,000 cases each): the control plane
/// answers each with a status the agent can act on — never UNKNOWN or INTERNAL, which it would
/// retry forever — and no call by one agent changes a job of another. A failure prints the seed
/// and the case.
/// </summary>
public sealed class AgentRpcFuzzTests(OpsGrpcFactory factory, ITestOutputHelper log) : IClassFixture<OpsGrpcFactory>
{
    private const int Seed = 20261201;
    private const int CasesPerRpc = 2000;

    [Fact]
    public async Task RandomRequests_ToEveryRpc_NeverUnknownOrInternal_AndNeverTouchAnotherAgentsJob()
    {
        var (victimId, victim) = await factory.EnrollAgentAsync();
        var (_, attacker) = await factory.EnrollAgentAsync();
        var victimJob = await SubmitAndStartAsync(victimId, victim);
        var before = await JobStateAsync(victimJob);
        var random = new Random(Seed);
        var rpcs = new (string Name, Func<Random, Task> Call)[]
        {
            ("Enroll", r => attacker.EnrollAsync(RandomEnroll(r))),
            ("Pull", r => attacker.PullAsync(new PullRequest { MaxJobs = RandomInt(r), WaitMs = Math.Min(RandomInt(r), 20) })),
            ("Start", r => attacker.StartAsync(new StartRequest { JobId = RandomJobId(r, victimJob), Attempt = RandomInt(r) })),
            ("AppendOutput", r => attacker.AppendOutputAsync(RandomAppend(r, victimJob))),
            ("Heartbeat", r => attacker.HeartbeatAsync(RandomHeartbeat(r, victimJob))),
            ("Complete", r => attacker.CompleteAsync(RandomComplete(r, victimJob))),
        };

        // The victim heart-beats its running job throughout, as a live agent does (this fixture's grace is 2 s).
        using var stop = new CancellationTokenSource();
        var alive = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await victim.HeartbeatAsync(new HeartbeatRequest { RunningJobIds = { victimJob.JobId } }, cancellationToken: CancellationToken.None);
                await Task.Delay(250, CancellationToken.None);
            }
        });
        var failures = new List<string>();
        foreach (var (name, call) in rpcs)
        {
            for (var i = 0; i < CasesPerRpc; i++)
            {
                var caseSeed = random.Next();
                try
                {
                    await call(new Random(caseSeed));
                }
                catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Unknown or StatusCode.Internal))
                {
                }
                catch (RpcException ex)
                {
                    failures.Add($"{name} case {i} (seed {Seed}, case seed {caseSeed}): {ex.StatusCode} {ex.Status.Detail}");
                }
            }
        }

        await stop.CancelAsync();
        await alive;
        log.WriteLine($"{rpcs.Length * CasesPerRpc} cases, seed {Seed}, {failures.Count} failures");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.Equal(before, await JobStateAsync(victimJob));
    }

    private async Task<JobAssignment> SubmitAndStartAsync(string agentId, AgentClient client)
    {
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new
        {
            kind = "agent.ping",
            target = new { agentIds = new[] { Guid.Parse(agentId) } },
            timeoutSeconds = 3600,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 1 })).Jobs);
        await client.StartAsync(new StartRequest { JobId = job.JobId, Attempt = job.Attempt });
        return job;
    }

    private async Task<string> JobStateAsync(JobAssignment job) =>
        await factory.QueryScalarAsync<string>(
            "SELECT concat_ws('|', status, attempt, output_bytes, coalesce(result::text, ''), coalesce(error, ''), (SELECT count(*) FROM job_output WHERE job_id = @id)) FROM jobs WHERE id = @id",
            new { id = Guid.Parse(job.JobId) });

    private static int RandomInt(Random r) => r.Next(6) switch
    {
        0 => 0,
        1 => -r.Next(),
        2 => int.MaxValue,
        3 => int.MinValue,
        4 => 1,
        _ => r.Next(1, 1000),
    };

    private static long RandomLong(Random r) => r.Next(5) switch
    {
        0 => long.MaxValue,
        1 => long.MinValue,
        2 => -1,
        3 => 0,
        _ => r.NextInt64(),
    };

    private static double RandomDouble(Random r) => r.Next(7) switch
    {
        0 => double.NaN,
        1 => double.PositiveInfinity,
        2 => double.NegativeInfinity,
        3 => double.MaxValue,
        4 => -r.NextDouble() * 1e6,
        5 => double.Epsilon,
        _ => r.NextDouble() * 100,
    };

    private static string RandomText(Random r) => r.Next(8) switch
    {
        0 => string.Empty,
        1 => "a\0b",
        2 => "\ud800",
        3 => new string('x', r.Next(1, 200_000)),
        4 => "{\"x\":1e1000000}",
        5 => Encoding.UTF8.GetString(RandomBytes(r, 64)),
        6 => "{\"ok\":true}",
        _ => Guid.NewGuid().ToString(),
    };

    private static string Prefix(string text, int length) => text.Length <= length ? text : text[..length];

    private static byte[] RandomBytes(Random r, int max)
    {
        var bytes = new byte[r.Next(0, max)];
        r.NextBytes(bytes);
        return bytes;
    }

    private static Timestamp? RandomTimestamp(Random r) => r.Next(5) switch
    {
        0 => null,
        1 => new Timestamp { Seconds = RandomLong(r), Nanos = RandomInt(r) },
        2 => new Timestamp { Seconds = 999_999_999_999 },
        3 => new Timestamp { Seconds = 1, Nanos = -1 },
        _ => Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
    };

    private static string RandomJobId(Random r, JobAssignment victim) => r.Next(4) switch
    {
        0 => victim.JobId,
        1 => Guid.NewGuid().ToString(),
        2 => RandomText(r),
        _ => "not-a-uuid",
    };

    private static EnrollRequest RandomEnroll(Random r)
    {
        var request = new EnrollRequest
        {
            EnrollmentToken = RandomText(r),
            Hostname = RandomText(r),
            AgentVersion = RandomText(r),
            Facts = r.Next(2) == 0 ? null : new HostFacts { Os = RandomText(r), CpuCount = RandomInt(r), MemoryTotalBytes = RandomLong(r), BootTime = RandomTimestamp(r) },
        };
        request.Labels[Prefix(RandomText(r), 10) + "k"] = RandomText(r);
        request.Capabilities.Add(RandomText(r));
        return request;
    }

    private static AppendOutputRequest RandomAppend(Random r, JobAssignment victim)
    {
        var request = new AppendOutputRequest { JobId = RandomJobId(r, victim), Attempt = r.Next(2) == 0 ? victim.Attempt : RandomInt(r) };
        for (var i = r.Next(0, 4); i > 0; i--)
        {
            request.Chunks.Add(new OutputChunk { Seq = RandomLong(r), Stream = (OutputStream)r.Next(-1, 6), Data = ByteString.CopyFrom(RandomBytes(r, 512)), At = RandomTimestamp(r) });
        }

        return request;
    }

    private static HeartbeatRequest RandomHeartbeat(Random r, JobAssignment victim)
    {
        var request = new HeartbeatRequest();
        request.RunningJobIds.Add(RandomJobId(r, victim));
        if (r.Next(2) == 0)
        {
            request.Stats = new HostStats
            {
                At = RandomTimestamp(r),
                CpuPercent = RandomDouble(r),
                Load1 = RandomDouble(r),
                MemoryUsedBytes = RandomLong(r),
                MemoryTotalBytes = RandomLong(r),
                Disks = { new DiskUsage { Mount = Prefix(RandomText(r), 100), TotalBytes = RandomLong(r), FreeBytes = RandomLong(r) } },
            };
        }

        return request;
    }

    private static CompleteRequest RandomComplete(Random r, JobAssignment victim) => new()
    {
        JobId = RandomJobId(r, victim),
        Attempt = r.Next(2) == 0 ? victim.Attempt : RandomInt(r),
        Outcome = (JobOutcome)r.Next(-1, 7),
        ExitCode = RandomInt(r),
        ResultJson = RandomText(r),
        Error = RandomText(r),
        StartedAt = RandomTimestamp(r),
        FinishedAt = RandomTimestamp(r),
        OutputBytes = RandomLong(r),
        OutputTruncated = r.Next(2) == 0,
    };
}
