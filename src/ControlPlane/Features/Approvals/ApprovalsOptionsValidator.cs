using Microsoft.Extensions.Options;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>Checks <see cref="ApprovalsOptions"/> at start and reports every error, keyed by configuration key.</summary>
internal sealed class ApprovalsOptionsValidator : IValidateOptions<ApprovalsOptions>
{
    public ValidateOptionsResult Validate(string? name, ApprovalsOptions options)
    {
        var errors = new List<string>();
        if (options.DefaultTtl < TimeSpan.FromSeconds(1) || options.DefaultTtl > ApprovalsOptions.MaxTtl)
        {
            errors.Add($"{ApprovalsOptions.Section}:{nameof(ApprovalsOptions.DefaultTtl)} must be between 00:00:01 and {ApprovalsOptions.MaxTtl:c} (got {options.DefaultTtl:c}).");
        }

        return errors.Count > 0 ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
