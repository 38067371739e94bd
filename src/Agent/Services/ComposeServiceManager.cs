using System.Text.Json;
using Ops.Agent.Executors;

namespace Ops.Agent.Services;

/// <summary>
/// docker compose v2 (seeds 000, 002, 003: <c>docker-compose ps</c>, <c>docker compose restart
/// backend</c>). Status: <c>docker compose [--file F] [--project-name P] ps --all --format json</c>,
/// which prints one JSON object per line on recent versions and one JSON array on older ones (both
/// are read); containers are grouped by their <c>Service</c>. Restart:
/// <c>docker compose [--file F] [--project-name P] restart &lt;service&gt;</c>.
/// </summary>
internal sealed class ComposeServiceManager(ServiceTool docker, ServicePolicy policy) : IServiceManager
{
    /// <inheritdoc />
    public string Name => "compose";

    /// <inheritdoc />
    public async Task<IReadOnlyList<ServiceState>> StatusAsync(IReadOnlyList<ServiceTarget> services, IJobOutput output, CancellationToken cancellationToken)
    {
        var json = await docker.CaptureAsync([.. Prefix(), "ps", "--all", "--format", "json"], output, cancellationToken);
        var containers = ParsePs(json);
        return [.. services.Select(s => Summarise(s, containers.Where(c => c.Service == s.Name).ToList()))];
    }

    /// <inheritdoc />
    public Task<int> RestartAsync(ServiceTarget service, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return docker.RunAsync([.. Prefix(), "restart", service.Name], output, cancellationToken);
    }

    /// <summary>Parses <c>docker compose ps --format json</c>: a JSON array, or one JSON object per line.</summary>
    /// <exception cref="ServiceToolException">Not JSON.</exception>
    public static List<ComposeContainer> ParsePs(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var containers = new List<ComposeContainer>();
        try
        {
            var text = json.Trim();
            if (text.StartsWith('['))
            {
                using var document = JsonDocument.Parse(text);
                containers.AddRange(document.RootElement.EnumerateArray().Select(Read));
            }
            else
            {
                foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    using var document = JsonDocument.Parse(line);
                    containers.Add(Read(document.RootElement));
                }
            }
        }
        catch (JsonException ex)
        {
            throw new ServiceToolException($"docker compose ps printed something that is not JSON: {ex.Message}", ex);
        }

        return containers;
    }

    private static ComposeContainer Read(JsonElement element) =>
        new(Text(element, "Name"), Text(element, "Service"), Text(element, "State"), Text(element, "Status"), Text(element, "Health"));

    private static string Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;

    private static ServiceState Summarise(ServiceTarget service, List<ComposeContainer> containers)
    {
        var instances = containers.Select(c => new ServiceInstance(c.Name, c.State, c.Status, c.Health.Length > 0 ? c.Health : null)).ToList();
        if (containers.Count == 0)
        {
            return new ServiceState(service.Service, service.Name, "not-found", false, "no container", instances);
        }

        var notRunning = containers.FirstOrDefault(c => !string.Equals(c.State, "running", StringComparison.OrdinalIgnoreCase));
        var unhealthy = containers.FirstOrDefault(c => string.Equals(c.Health, "unhealthy", StringComparison.OrdinalIgnoreCase));
        var state = notRunning?.State ?? (unhealthy is not null ? "unhealthy" : "running");
        return new ServiceState(service.Service, service.Name, state, notRunning is null && unhealthy is null, string.Join("; ", containers.Select(c => c.Status)), instances);
    }

    private List<string> Prefix()
    {
        var arguments = new List<string> { "compose" };
        if (!string.IsNullOrEmpty(policy.ComposeFile))
        {
            arguments.Add("--file");
            arguments.Add(policy.ComposeFile);
        }

        if (!string.IsNullOrEmpty(policy.ComposeProject))
        {
            arguments.Add("--project-name");
            arguments.Add(policy.ComposeProject);
        }

        return arguments;
    }
}
