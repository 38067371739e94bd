using Microsoft.Extensions.Options;
using Ops.ControlPlane.Features.AgentProtocol;

namespace Ops.ControlPlane.Features.Agents;

/// <summary>
/// Checks section <c>Agents</c> at start, with the cross-option rule that the heartbeat interval
/// is well below <c>AgentProtocol:RunningGrace</c> (at most half of it): otherwise a running job
/// outlives its lease between two heartbeats and is marked <c>lost</c> while it runs.
/// </summary>
internal sealed class AgentOptionsValidator(IConfiguration configuration) : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        const string S = AgentOptions.Section;
        var errors = new List<string>();
        // Read unvalidated, so an error in AgentProtocol is reported by its own validator, beside this one's.
        var grace = RunningGrace();
        if (options.HeartbeatIntervalMs is < 100 or > 3_600_000)
        {
            errors.Add($"{S}:HeartbeatIntervalMs must be between 100 and 3600000 (got {options.HeartbeatIntervalMs}).");
        }
        else if (grace is { } g && TimeSpan.FromMilliseconds(options.HeartbeatIntervalMs) > g / 2)
        {
            errors.Add($"{S}:HeartbeatIntervalMs ({options.HeartbeatIntervalMs} ms) must be at most half of {AgentProtocolOptions.Section}:RunningGrace ({g.TotalMilliseconds} ms), or every running job is marked lost between two heartbeats.");
        }

        if (options.OfflineAfterIntervals is < 1 or > 100)
        {
            errors.Add($"{S}:OfflineAfterIntervals must be between 1 and 100 (got {options.OfflineAfterIntervals}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private TimeSpan? RunningGrace()
    {
        try
        {
            return (configuration.GetSection(AgentProtocolOptions.Section).Get<AgentProtocolOptions>() ?? new AgentProtocolOptions()).RunningGrace;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
