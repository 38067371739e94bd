using Microsoft.Extensions.DependencyInjection;
using Ops.ControlPlane.Infrastructure.Storage;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Infrastructure.Storage;

/// <summary>
/// A replica sends the notifications only other replicas need (the debounced <c>ops_jobs</c>
/// wake-up) only when another replica listens on the same database (issue 14).
/// </summary>
public sealed class ReplicaPresenceTests
{
    [Fact]
    public async Task OthersListening_IsFalseAloneAndTrueOnceASecondReplicaStartsOnTheSameDatabase()
    {
        await using var a = new OpsGrpcFactory();
        await a.InitializeAsync();
        var presence = a.Services.GetRequiredService<ReplicaPresence>();
        // Alone: once its own listener is connected, the check sees one listener (rechecked every 5 s).
        Assert.True(await EventuallyAsync(async () => !await presence.OthersListeningAsync(CancellationToken.None)));

        await using var b = new OpsGrpcFactory { SharedConnectionString = a.ConnectionString };
        await b.InitializeAsync();
        // B's listener announces itself on ops_replicas: A assumes company without waiting for its next check.
        Assert.True(await EventuallyAsync(() => presence.OthersListeningAsync(CancellationToken.None).AsTask()));
        Assert.True(await b.Services.GetRequiredService<ReplicaPresence>().OthersListeningAsync(CancellationToken.None));
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            if (await condition())
            {
                return true;
            }
        }

        return false;
    }
}
