using System.Collections;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Ops.Agent.Services;

/// <summary>
/// Reads <c>Policy:Services</c> at each use and validates it, failing with a
/// <see cref="ServicePolicyException"/> naming the key: <c>Policy:Services:Manager 'x' is not
/// compose, swarm or systemd</c>, <c>service 'x' is not in this agent's policy (Policy:Services:Allowed)</c>.
/// </summary>
internal sealed class ServicePolicyLoader(IConfiguration configuration)
{
    /// <summary>The bound section (not validated).</summary>
    public ServicePolicy Policy { get; } = configuration.GetSection(ServicePolicy.SectionName).Get<ServicePolicy>() ?? new ServicePolicy();

    /// <summary>The manager name, validated.</summary>
    /// <exception cref="ServicePolicyException">Missing or unknown manager, bad window.</exception>
    public string Manager()
    {
        if (Policy.Manager is not ("compose" or "swarm" or "systemd"))
        {
            throw new ServicePolicyException(Policy.Manager is null
                ? "Policy:Services:Manager is not set (compose, swarm or systemd)."
                : $"Policy:Services:Manager '{Policy.Manager}' is not compose, swarm or systemd.");
        }

        if (Policy.BackupWindowHours is < 1 or > 8760)
        {
            throw new ServicePolicyException($"Policy:Services:BackupWindowHours must be 1–8760 (got {Policy.BackupWindowHours.ToString(CultureInfo.InvariantCulture)}).");
        }

        return Policy.Manager;
    }

    /// <summary>Resolves service names (all allowed services when none is given), in the order asked.</summary>
    /// <exception cref="ServicePolicyException">A name is not in <c>Policy:Services:Allowed</c>, or nothing is allowed.</exception>
    public List<ServiceTarget> Resolve(IReadOnlyList<string>? services)
    {
        if (Policy.Allowed.Count == 0)
        {
            throw new ServicePolicyException("Policy:Services:Allowed lists no service: this agent may not act on any.");
        }

        var names = services is { Count: > 0 } ? services : Policy.Allowed.Keys.Order(StringComparer.Ordinal).ToList();
        var targets = new List<ServiceTarget>();
        foreach (var service in names.Distinct(StringComparer.Ordinal))
        {
            if (!Policy.Allowed.TryGetValue(service, out var entry))
            {
                throw new ServicePolicyException(
                    $"service '{service}' is not in this agent's policy (Policy:Services:Allowed; known: {string.Join(", ", Policy.Allowed.Keys.Order(StringComparer.Ordinal))}).");
            }

            var name = string.IsNullOrWhiteSpace(entry.Name) ? service : entry.Name;
            if (name.StartsWith('-') || name.Any(char.IsWhiteSpace))
            {
                throw new ServicePolicyException($"Policy:Services:Allowed:{service}:Name '{name}' is not a service name.");
            }

            if (Policy.Manager == "swarm" && !string.IsNullOrEmpty(Policy.Stack))
            {
                name = Policy.Stack + "_" + name;
            }

            targets.Add(new ServiceTarget(service, name, string.IsNullOrWhiteSpace(entry.Database) ? null : entry.Database));
        }

        return targets;
    }

    /// <summary>The environment for docker / systemctl: the agent's, with PATH = <c>SearchPath</c> when set.</summary>
    public Dictionary<string, string> ToolEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        if (!string.IsNullOrEmpty(Policy.SearchPath))
        {
            environment["PATH"] = Policy.SearchPath;
        }

        return environment;
    }
}
