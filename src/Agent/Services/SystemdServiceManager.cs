using Ops.Agent.Executors;

namespace Ops.Agent.Services;

/// <summary>
/// systemd units. Status: <c>systemctl show -p ActiveState,SubState,LoadState,MainPID,ExecMainStartTimestamp
/// --no-pager &lt;unit&gt;</c>, which prints <c>Key=value</c> lines; LoadState <c>not-found</c> means
/// no such unit; running = ActiveState <c>active</c>. Restart: <c>systemctl restart &lt;unit&gt;</c>.
/// </summary>
internal sealed class SystemdServiceManager(ServiceTool systemctl) : IServiceManager
{
    /// <inheritdoc />
    public string Name => "systemd";

    /// <inheritdoc />
    public async Task<IReadOnlyList<ServiceState>> StatusAsync(IReadOnlyList<ServiceTarget> services, IJobOutput output, CancellationToken cancellationToken)
    {
        var states = new List<ServiceState>();
        foreach (var service in services)
        {
            var text = await systemctl.CaptureAsync(
                ["show", "-p", "ActiveState,SubState,LoadState,MainPID,ExecMainStartTimestamp", "--no-pager", service.Name], output, cancellationToken);
            var values = ParseShow(text);
            var load = values.GetValueOrDefault("LoadState", string.Empty);
            var active = values.GetValueOrDefault("ActiveState", "unknown");
            var sub = values.GetValueOrDefault("SubState", string.Empty);
            var started = values.GetValueOrDefault("ExecMainStartTimestamp", string.Empty);
            var pid = values.GetValueOrDefault("MainPID", "0");
            if (load == "not-found")
            {
                states.Add(new ServiceState(service.Service, service.Name, "not-found", false, "unit not found", []));
                continue;
            }

            var instances = new List<ServiceInstance> { new("MainPID=" + pid, sub, started.Length > 0 ? "started " + started : string.Empty, null) };
            states.Add(new ServiceState(service.Service, service.Name, active, active == "active", $"{active} ({sub}), load {load}", instances));
        }

        return states;
    }

    /// <inheritdoc />
    public Task<int> RestartAsync(ServiceTarget service, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return systemctl.RunAsync(["restart", service.Name], output, cancellationToken);
    }

    /// <summary>Parses <c>systemctl show</c>'s <c>Key=value</c> lines (the value may itself contain '=').</summary>
    public static Dictionary<string, string> ParseShow(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }
}
