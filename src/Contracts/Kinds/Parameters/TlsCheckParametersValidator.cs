using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="TlsCheckParameters"/>.</summary>
public sealed class TlsCheckParametersValidator : AbstractValidator<TlsCheckParameters>
{
    /// <summary>Creates the rules.</summary>
    public TlsCheckParametersValidator()
    {
        RuleFor(p => p.Host).NotEmpty().MaximumLength(253)
            .Must(h => Uri.CheckHostName(h) != UriHostNameType.Unknown).WithMessage("'{PropertyValue}' is not a host name or IP address.");
        RuleFor(p => p.Port).InclusiveBetween(1, 65_535);
        RuleFor(p => p.ServerName).MaximumLength(253)
            .Must(h => h is null || Uri.CheckHostName(h) == UriHostNameType.Dns).WithMessage("'{PropertyValue}' is not a DNS name.");
        RuleFor(p => p.MinDaysRemaining).InclusiveBetween(0, 3650);
    }
}
