using Microsoft.Extensions.Options;
using Ops.Contracts.Agent;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Checks section <c>AgentProtocol</c> at start and reports every error at once, each with its
/// configuration key (the agent's <c>AgentOptionsValidator</c> is the model).
/// </summary>
internal sealed class AgentProtocolOptionsValidator : IValidateOptions<AgentProtocolOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentProtocolOptions options)
    {
        const string S = AgentProtocolOptions.Section;
        var errors = new List<string>();
        if (options.LeaseDuration <= TimeSpan.Zero)
        {
            errors.Add($"{S}:LeaseDuration must be positive (got {options.LeaseDuration}).");
        }

        if (options.RunningGrace <= TimeSpan.Zero)
        {
            errors.Add($"{S}:RunningGrace must be positive (got {options.RunningGrace}).");
        }

        if (options.ReaperInterval <= TimeSpan.Zero || options.ReaperInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{S}:ReaperInterval must be between 0 and 1 minute (got {options.ReaperInterval}).");
        }

        if (options.MaxPullWait <= TimeSpan.Zero || options.MaxPullWait > TimeSpan.FromSeconds(30))
        {
            errors.Add($"{S}:MaxPullWait must be between 0 and 30 s, the protocol's cap (got {options.MaxPullWait}).");
        }

        if (options.MaxJobsPerPull is < 1 or > 1000)
        {
            errors.Add($"{S}:MaxJobsPerPull must be between 1 and 1000 (got {options.MaxJobsPerPull}).");
        }

        if (options.OutputLimitBytes < 64 * 1024)
        {
            errors.Add($"{S}:OutputLimitBytes must be at least 65536 (got {options.OutputLimitBytes}).");
        }

        if (options.MaxResultBytes < 1024 || options.MaxResultBytes > AgentChannels.MaxMessageBytes / 2)
        {
            errors.Add($"{S}:MaxResultBytes must be between 1024 and {AgentChannels.MaxMessageBytes / 2} (got {options.MaxResultBytes}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
