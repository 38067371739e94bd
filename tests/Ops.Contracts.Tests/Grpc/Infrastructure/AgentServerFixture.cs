using Microsoft.AspNetCore.Builder;
using Ops.Contracts.Grpc;

namespace Ops.Contracts.Tests.Grpc.Infrastructure;

/// <summary>
/// One Kestrel server hosting <see cref="TestAgentService"/> twice: as ops.agent.v1.AgentService with a
/// 16 MiB send limit (so the client's receive limit can be exercised) and as ops.test.v1.Limited with
/// the default 4 MiB limits (so the server's own send limit can be exercised).
/// </summary>
public sealed class AgentServerFixture : IAsyncLifetime
{
    public const string LimitedService = "ops.test.v1.Limited";

    private GrpcTestServer? server;

    public TestAgentService Service { get; } = new();

    public GrpcTestServer Server => server ?? throw new InvalidOperationException("not started");

    public GrpcChannel Channel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        server = await GrpcTestServer.StartAsync(app =>
        {
            app.MapGrpcService(Service.CreateDefinition(), new GrpcServerOptions { MaxSendMessageSize = 16 * TestAgentService.MiB });
            app.MapGrpcService(Service.CreateDefinition(LimitedService));
            app.MapPost("/api/echo", () => "rest");
        });
        Channel = GrpcChannel.ForAddress(server.Address);
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}
