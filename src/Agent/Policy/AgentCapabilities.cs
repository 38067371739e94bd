using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Policy;

/// <summary>
/// The kinds this agent runs and reports as capabilities at enrollment: <c>Agent:EnabledKinds</c>
/// ∩ the catalog ∩ the kinds that have an executor in this build, in the configured order.
/// A kind enabled without an executor is listed in <see cref="Unsupported"/> (logged at start) and
/// refused like a disabled one.
/// </summary>
internal sealed class AgentCapabilities
{
    private readonly HashSet<string> enabled;

    /// <summary>Computes the capabilities.</summary>
    public AgentCapabilities(IOptions<AgentOptions> options, IEnumerable<IOperationExecutor> executors)
    {
        ArgumentNullException.ThrowIfNull(options);
        var available = executors.Select(e => e.Kind).ToHashSet(StringComparer.Ordinal);
        var configured = options.Value.EffectiveEnabledKinds.Distinct(StringComparer.Ordinal).ToList();
        Kinds = configured.Where(k => OperationKindCatalog.TryGet(k, out _) && available.Contains(k)).ToList();
        Unsupported = configured.Where(k => !available.Contains(k)).ToList();
        enabled = Kinds.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The kinds run by this agent (its capabilities).</summary>
    public IReadOnlyList<string> Kinds { get; }

    /// <summary>Enabled kinds without an executor in this build.</summary>
    public IReadOnlyList<string> Unsupported { get; }

    /// <summary>Whether <paramref name="kind"/> may run here.</summary>
    public bool IsEnabled(string kind) => enabled.Contains(kind);
}
