using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Infrastructure.Http;

if (args is ["token", .. var tokenArgs])
{
    return TokenCommand.Run(tokenArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddOpsControlPlane();
var app = builder.Build();
app.MapOpsControlPlane();
return await app.RunOpsControlPlaneAsync();

/// <summary>Entry point of the Ops control plane (public for <c>WebApplicationFactory</c>).</summary>
public partial class Program;
