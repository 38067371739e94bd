using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Grpc;
using Ops.Contracts.Tests.Grpc.Infrastructure;

namespace Ops.Contracts.Tests.Grpc;

public sealed class GrpcServerShutdownTests
{
    [Fact]
    public async Task Call_InFlightWhenServerStops_ThrowsUnavailableAndCancelsTheHandler()
    {
        var service = new TestAgentService();
        var server = await GrpcTestServer.StartAsync(app => app.MapGrpcService(service.CreateDefinition()));
        using var channel = GrpcChannel.ForAddress(server.Address);
        var id = Guid.NewGuid().ToString("N");

        var call = channel.CallUnaryAsync(
            AgentServiceMethods.Enroll,
            new EnrollRequest { EnrollmentToken = $"sleep:60000:{id}" },
            EnrollResponse.Parser);
        await service.WhenSleeperStarts(id).WaitAsync(TimeSpan.FromSeconds(20));
        await server.DisposeAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.True(await service.WhenSleeperEnds(id).WaitAsync(TimeSpan.FromSeconds(20)));
    }
}
