using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Ops.Agent.Executors;
using Ops.Agent.Hosting;

namespace Ops.Agent.Tests.Hosting;

/// <summary>
/// The agent lists its executors by hand (Native AOT keeps only what the code names): none of the
/// executor classes of the assembly may be left out of <see cref="AgentHostingExtensions.AddOpsAgent"/>.
/// </summary>
public sealed class AgentExecutorRegistrationTests
{
    [Fact]
    public void AddOpsAgent_RegistersEveryExecutorClassOfTheAgentAssembly_InFullNameOrder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Agent:ControlPlaneUrl"] = "http://127.0.0.1:1" });
        builder.AddOpsAgent();

        var registered = builder.Services
            .Where(d => d.ServiceType == typeof(IOperationExecutor))
            .Select(d => d.ImplementationType!)
            .ToList();
        var classes = typeof(IOperationExecutor).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false } && typeof(IOperationExecutor).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(classes);
        Assert.Equal(classes, registered);
    }

    [Fact]
    public void AddOpsAgent_GivesEveryExecutorADistinctKind()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:ControlPlaneUrl"] = "http://127.0.0.1:1",
            ["Agent:StateDirectory"] = Path.Combine(Path.GetTempPath(), "ops-agent-tests", Guid.NewGuid().ToString("N")),
        });
        builder.AddOpsAgent();
        using var host = builder.Build();

        var kinds = host.Services.GetServices<IOperationExecutor>().Select(e => e.Kind).ToList();

        Assert.Equal(kinds.Count, kinds.Distinct(StringComparer.Ordinal).Count());
    }
}
