using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Ops.ControlPlane.Features.AgentProtocol;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// Time when no control plane reaped (found by <c>./ops chaos</c> (a): a kill -9 longer than the
/// running grace turned every running job <c>lost</c> although its agent was alive) does not
/// count against agents; a silent agent during normal operation still loses its job.
/// </summary>
public sealed class LeaseReaperOutageTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>
{
    private async Task<Guid> StartRunningJobAsync()
    {
        var agentId = await factory.SeedAgentAsync(capabilities: ["script.run"]);
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new
        {
            kind = "script.run",
            parameters = new { script = "long" },
            target = new { agentIds = new[] { agentId } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var (jobs, _) = await queue.PullAsync(agentId, 1, CancellationToken.None);
        var job = Assert.Single(jobs);
        Assert.True(await queue.StartAsync(agentId, Guid.Parse(job.JobId), job.Attempt, CancellationToken.None));
        return Guid.Parse(job.JobId);
    }

    private async Task WaitForReaperPassAfterAsync(DateTime since)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await factory.QueryScalarAsync<bool>("SELECT last_pass_at > @since FROM reaper_clock", new { since }))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("no reaper pass in 30 s");
    }

    [Fact]
    public async Task Reaper_AfterAnOutageLongerThanTheGrace_ShiftsLeasesInsteadOfLosingRunningJobs()
    {
        var jobId = await StartRunningJobAsync();
        var marked = await factory.QueryScalarAsync<DateTime>(
            """
            WITH j AS (UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = @jobId RETURNING 1),
                 c AS (UPDATE reaper_clock SET last_pass_at = now() - interval '60 seconds' RETURNING 1)
            SELECT clock_timestamp() FROM j, c
            """, new { jobId });

        await WaitForReaperPassAfterAsync(marked);

        Assert.Equal("running", await factory.QueryScalarAsync<string>("SELECT status FROM jobs WHERE id = @jobId", new { jobId }));
        Assert.True(await factory.QueryScalarAsync<bool>("SELECT lease_expires_at > now() + interval '30 seconds' FROM jobs WHERE id = @jobId", new { jobId }));
    }

    [Fact]
    public async Task Reaper_WhenOnlyTheAgentWasSilent_StillLosesItsRunningJob()
    {
        var jobId = await StartRunningJobAsync();
        await factory.QueryScalarAsync<int>("WITH j AS (UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = @jobId RETURNING 1) SELECT count(*)::int FROM j", new { jobId });

        var status = "";
        for (var i = 0; i < 300 && status != "lost"; i++)
        {
            status = await factory.QueryScalarAsync<string>("SELECT status FROM jobs WHERE id = @jobId", new { jobId });
            await Task.Delay(100);
        }

        Assert.Equal("lost", status);
    }
}
