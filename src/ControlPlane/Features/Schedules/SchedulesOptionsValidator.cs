using Microsoft.Extensions.Options;

namespace Ops.ControlPlane.Features.Schedules;

/// <summary>Validates <see cref="SchedulesOptions"/> at start and reports every problem at once, keyed by configuration key.</summary>
internal sealed class SchedulesOptionsValidator : IValidateOptions<SchedulesOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SchedulesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string Prefix = SchedulesOptions.Section + ":";
        if (options.MinIntervalSeconds is < 1 or > 86_400)
        {
            errors.Add($"{Prefix}MinIntervalSeconds must be between 1 and 86400 seconds (got {options.MinIntervalSeconds}).");
        }

        if (options.LateAfterSeconds is < 1 or > 3_600)
        {
            errors.Add($"{Prefix}LateAfterSeconds must be between 1 and 3600 seconds (got {options.LateAfterSeconds}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
