using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ops.Agent.Hosting;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>The agent's real hosted services in-process (AddOpsAgent), configured against a <see cref="FakeControlPlane"/>.</summary>
public sealed class AgentHarness : IAsyncDisposable
{
    private readonly IHost host;
    private readonly bool ownsStateDirectory;

    private AgentHarness(IHost host, string stateDirectory, bool ownsStateDirectory)
    {
        this.host = host;
        StateDirectory = stateDirectory;
        this.ownsStateDirectory = ownsStateDirectory;
    }

    public string StateDirectory { get; }

    public Task<int> Run { get; private set; } = Task.FromResult(0);

    public IServiceProvider Services => host.Services;

    public static AgentHarness Start(
        FakeControlPlane controlPlane,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        string? stateDirectory = null)
    {
        var ownsState = stateDirectory is null;
        stateDirectory ??= Path.Combine(Path.GetTempPath(), "ops-agent-tests", Guid.NewGuid().ToString("N"));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Testing" });
        var configuration = new Dictionary<string, string?>
        {
            ["Agent:ControlPlaneUrl"] = controlPlane.Address.ToString(),
            ["Agent:StateDirectory"] = stateDirectory,
            ["Agent:EnrollmentToken"] = FakeControlPlane.EnrollmentToken,
            ["Agent:Hostname"] = "test-host",
            ["Agent:Labels:env"] = "test",
            ["Agent:PullWaitMs"] = "2000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddOpsAgent();
        builder.Logging.ClearProviders();
        services?.Invoke(builder.Services);
        var harness = new AgentHarness(builder.Build(), stateDirectory, ownsState);
        harness.Run = harness.host.RunOpsAgentAsync();
        return harness;
    }

    public async Task<int> StopAsync()
    {
        try
        {
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped and disposed.
        }

        return await Run.WaitAsync(Eventually.Generous);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (ownsStateDirectory && Directory.Exists(StateDirectory))
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}
