using System.Diagnostics;
using System.Text.Json;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Tests.Grpc.Interop;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.EndToEnd;

/// <summary>
/// kill -9 of an agent process holding a leased and a running job (DESIGN.md §5): the leased
/// job is delivered again after its lease with the next attempt; the running job of a kind that
/// is not retry-safe becomes <c>lost</c> after the grace period; nothing stays stuck.
/// </summary>
public sealed class AgentCrashTests(OpsGrpcFactory factory) : IClassFixture<OpsGrpcFactory>
{
    [Fact]
    public async Task KillMinus9_LeasedJobIsRedeliveredAndRunningJobIsLost()
    {
        var admin = factory.CreateClient(Roles.Admin);
        var enrollment = (await (await admin.PostJsonAsync("/api/v1/enrollment-tokens", new { })).ReadJsonAsync()).GetProperty("token").GetString()!;
        using var holder = Process.Start(NodeInterop.StartInfo("hold_jobs.js", [$"127.0.0.1:{factory.GrpcPort}", enrollment, "file.backup,agent.ping"]))!;
        var stderr = new System.Text.StringBuilder();
        holder.ErrorDataReceived += (_, e) => stderr.AppendLine(e.Data);
        holder.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            var first = await holder.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.True(first is not null, $"hold_jobs.js: {stderr}");
            var enrolled = JsonDocument.Parse(first).RootElement.GetProperty("enrolled");
            var agentId = Guid.Parse(enrolled.GetProperty("agentId").GetString()!);
            var operatorClient = factory.CreateClient(Roles.Operator);
            // Higher priority first: the file.backup job (not retry-safe) is the one the holder starts.
            var backup = await operatorClient.PostJsonAsync("/api/v1/operations", new { kind = "file.backup", parameters = new { path = "/etc/hostname" }, target = new { agentIds = new[] { agentId } }, priority = 90 });
            var ping = await operatorClient.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agentId } }, priority = 10 });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, backup.StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, ping.StatusCode);
            await holder.StandardInput.WriteLineAsync("pull");
            await holder.StandardInput.FlushAsync();
            var line = await holder.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.True(line is not null, $"hold_jobs.js: {stderr}");
            var held = JsonDocument.Parse(line).RootElement.GetProperty("held");
            var running = held.GetProperty("running");
            var leased = held.GetProperty("leased");
            Assert.Equal("file.backup", running.GetProperty("kind").GetString());

            holder.Kill(); // SIGKILL: no goodbye, connections just drop
            await holder.WaitForExitAsync(timeout.Token);

            // The same agent identity comes back (as a restarted agent would) and pulls.
            var client = factory.CreateAgentClient(enrolled.GetProperty("agentToken").GetString());
            var redelivered = Assert.Single((await client.PullAsync(new PullRequest { MaxJobs = 5, WaitMs = 20_000 })).Jobs);
            Assert.Equal(leased.GetProperty("job_id").GetString(), redelivered.JobId);
            Assert.Equal(leased.GetProperty("attempt").GetInt32() + 1, redelivered.Attempt);

            var viewer = factory.CreateClient(Roles.Viewer);
            var runningJob = running.GetProperty("job_id").GetString();
            var status = "";
            for (var i = 0; i < 200 && status != "lost"; i++)
            {
                status = (await (await viewer.GetAsync($"/api/v1/jobs/{runningJob}")).ReadJsonAsync()).GetProperty("status").GetString();
                await Task.Delay(100);
            }

            Assert.Equal("lost", status);
            var job = await (await viewer.GetAsync($"/api/v1/jobs/{runningJob}")).ReadJsonAsync();
            Assert.Contains("heart", job.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, await factory.QueryScalarAsync<int>(
                "SELECT count(*)::int FROM jobs WHERE agent_id = @agentId AND status IN ('leased', 'running') AND id <> @redelivered",
                new { agentId, redelivered = Guid.Parse(redelivered.JobId) }));
        }
        finally
        {
            if (!holder.HasExited)
            {
                holder.Kill(entireProcessTree: true);
            }
        }
    }
}
