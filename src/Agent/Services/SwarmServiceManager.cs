using System.Globalization;
using System.Text.Json;
using Ops.Agent.Executors;

namespace Ops.Agent.Services;

/// <summary>
/// docker swarm (seed 004 §1.1: <c>docker service ls</c>, <c>docker service ps</c>, "Redémarrage
/// gracieux" <c>docker service update --force</c>). Service names are <c>&lt;Stack&gt;_&lt;Name&gt;</c>.
/// Status: <c>docker service ls --format {{json .}}</c> (one JSON object per line: ID, Name, Mode,
/// Replicas "running/desired", Image, Ports), then for each service found
/// <c>docker service ps --filter desired-state=running --format {{json .}} &lt;service&gt;</c> for its
/// tasks (Name, Node, CurrentState, Error). Restart: <c>docker service update --force
/// --detach=false &lt;service&gt;</c> (a rolling restart that waits until the service converges).
/// </summary>
internal sealed class SwarmServiceManager(ServiceTool docker) : IServiceManager
{
    /// <inheritdoc />
    public string Name => "swarm";

    /// <inheritdoc />
    public async Task<IReadOnlyList<ServiceState>> StatusAsync(IReadOnlyList<ServiceTarget> services, IJobOutput output, CancellationToken cancellationToken)
    {
        var listed = ParseLines(await docker.CaptureAsync(["service", "ls", "--format", "{{json .}}"], output, cancellationToken), "docker service ls");
        var states = new List<ServiceState>();
        foreach (var service in services)
        {
            var line = listed.FirstOrDefault(l => Text(l, "Name") == service.Name);
            if (line.ValueKind == JsonValueKind.Undefined)
            {
                states.Add(new ServiceState(service.Service, service.Name, "not-found", false, "no such service", []));
                continue;
            }

            var tasks = ParseLines(
                await docker.CaptureAsync(["service", "ps", "--filter", "desired-state=running", "--format", "{{json .}}", service.Name], output, cancellationToken),
                "docker service ps");
            var instances = tasks
                .Select(t => new ServiceInstance(
                    Text(t, "Name"),
                    Text(t, "CurrentState"),
                    string.Join(' ', new[] { Text(t, "Node"), Text(t, "Error") }.Where(s => s.Length > 0)),
                    null))
                .ToList();
            var replicas = Text(line, "Replicas");
            var (running, desired) = ParseReplicas(replicas);
            var state = desired == 0 ? "stopped" : running >= desired ? "running" : "degraded";
            states.Add(new ServiceState(service.Service, service.Name, state, state == "running", $"replicas {replicas} ({Text(line, "Mode")})", instances));
        }

        return states;
    }

    /// <inheritdoc />
    public Task<int> RestartAsync(ServiceTarget service, IJobOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        return docker.RunAsync(["service", "update", "--force", "--detach=false", service.Name], output, cancellationToken);
    }

    /// <summary>Reads "2/3" or "2/3 (max 1 per node)" as (running, desired); (0, 0) when unreadable.</summary>
    public static (int Running, int Desired) ParseReplicas(string replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        var head = replicas.Split(' ', 2)[0].Split('/');
        return head.Length == 2
            && int.TryParse(head[0], NumberStyles.None, CultureInfo.InvariantCulture, out var running)
            && int.TryParse(head[1], NumberStyles.None, CultureInfo.InvariantCulture, out var desired)
            ? (running, desired)
            : (0, 0);
    }

    private static List<JsonElement> ParseLines(string text, string command)
    {
        var elements = new List<JsonElement>();
        try
        {
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                using var document = JsonDocument.Parse(line);
                elements.Add(document.RootElement.Clone());
            }
        }
        catch (JsonException ex)
        {
            throw new ServiceToolException($"{command} printed something that is not JSON: {ex.Message}", ex);
        }

        return elements;
    }

    private static string Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
}
