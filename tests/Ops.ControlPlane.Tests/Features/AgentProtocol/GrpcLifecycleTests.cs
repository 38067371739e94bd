using Dapper;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>The agent port across the host's lifetime: shutdown with Pulls in flight, the database going away.</summary>
public sealed class GrpcLifecycleTests
{
    [Fact]
    public async Task Pull_WaitingWhenTheHostStops_EndsWithUnavailableInsteadOfHoldingShutdown()
    {
        var factory = new OpsGrpcFactory();
        await factory.InitializeAsync();
        var (_, client) = await factory.EnrollAgentAsync();
        await client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 0 });
        var waiting = factory.Services.GetRequiredService<AgentWakeups>();

        var pull = client.PullAsync(new PullRequest { MaxJobs = 1, WaitMs = 30_000 });
        // The Pull is waiting once it found no work and sleeps on the agent's wake-up signal.
        await WaitUntilAsync(() => Task.FromResult(waiting.Waiting > 0));
        var stopping = Task.Run(() => factory.Dispose());

        var ex = await Assert.ThrowsAsync<RpcException>(() => pull);
        await stopping;

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("shutting down", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_WhileTheDatabaseRefusesConnections_IsNotServingThenServingAgain()
    {
        await using var factory = new OpsGrpcFactory();
        await factory.InitializeAsync();
        using var channel = GrpcChannel.ForAddress(factory.GrpcAddress);
        var health = new Health.HealthClient(channel);
        var database = new NpgsqlConnectionStringBuilder(factory.ConnectionString).Database!;
        var admin = new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);

        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.ExecuteAsync($"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false");
            await connection.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @database", new { database });
        }

        try
        {
            await WaitUntilAsync(async () => (await health.CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.NotServing);
        }
        finally
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.ExecuteAsync($"ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS true");
        }

        await WaitUntilAsync(async () => (await health.CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.Serving);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("The condition did not hold within 30 s.");
            }

            await Task.Delay(50);
        }
    }
}
