using Microsoft.Extensions.Options;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Configuration;

/// <summary>
/// Validates <see cref="AgentOptions"/> at start (<c>ValidateOnStart</c>) and reports every
/// problem at once, each prefixed with its configuration key (YARP's config validator style).
/// Kinds must be in <see cref="OperationKindCatalog"/>; a known kind without an executor in this
/// build is not an error (it is left out of the capabilities and logged, see
/// <c>AgentCapabilities</c>), so one configuration serves agent builds with and without optional executors.
/// </summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    private const int MinOutputBytes = 4 * 1024;
    private const int MaxOutputBytes = 64 * 1024 * 1024;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string Prefix = AgentOptions.SectionName + ":";

        if (!Uri.TryCreate(options.ControlPlaneUrl, UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{Prefix}ControlPlaneUrl '{options.ControlPlaneUrl}' is not an absolute http:// or https:// URL.");
        }

        if (string.IsNullOrWhiteSpace(options.StateDirectory) || !Path.IsPathRooted(options.StateDirectory))
        {
            errors.Add($"{Prefix}StateDirectory '{options.StateDirectory}' must be an absolute path.");
        }

        if (string.IsNullOrWhiteSpace(options.Hostname))
        {
            errors.Add($"{Prefix}Hostname must not be empty.");
        }

        if (options.MaxConcurrentJobs is < 1 or > 256)
        {
            errors.Add($"{Prefix}MaxConcurrentJobs must be between 1 and 256 (was {options.MaxConcurrentJobs}).");
        }

        if (options.PullWaitMs is < 1_000 or > 30_000)
        {
            errors.Add($"{Prefix}PullWaitMs must be between 1000 and 30000 milliseconds (was {options.PullWaitMs}).");
        }

        foreach (var (key, value) in options.Labels)
        {
            if (string.IsNullOrWhiteSpace(key) || value is null)
            {
                errors.Add($"{Prefix}Labels: label '{key}' needs a non-empty name and a value.");
            }
        }

        foreach (var kind in options.EffectiveEnabledKinds)
        {
            if (!OperationKindCatalog.TryGet(kind, out _))
            {
                var known = string.Join(", ", OperationKindCatalog.All.Select(k => k.Name));
                errors.Add($"{Prefix}EnabledKinds: unknown operation kind '{kind}' (known: {known}).");
            }
        }

        if (options.MaxOutputBytes is < MinOutputBytes or > MaxOutputBytes)
        {
            errors.Add($"{Prefix}MaxOutputBytes must be between {MinOutputBytes} and {MaxOutputBytes} (was {options.MaxOutputBytes}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
