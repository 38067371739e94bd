using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="HttpCheckParameters"/>: only absolute http/https URLs; bounded limits.</summary>
public sealed class HttpCheckParametersValidator : AbstractValidator<HttpCheckParameters>
{
    /// <summary>Creates the rules.</summary>
    public HttpCheckParametersValidator()
    {
        RuleFor(p => p.Url).NotEmpty().MaximumLength(2048)
            .Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0)
            .WithMessage("'{PropertyValue}' is not an absolute http:// or https:// URL.");
        RuleFor(p => p.Method).Must(m => m is null or "GET" or "HEAD").WithMessage("method must be GET or HEAD.");
        RuleFor(p => p.ExpectedStatus).Must(s => s is null || (s.Count is > 0 and <= 50)).WithMessage("expectedStatus: 1 to 50 status codes.");
        RuleForEach(p => p.ExpectedStatus).InclusiveBetween(100, 599);
        RuleFor(p => p.MaxLatencyMs).InclusiveBetween(1, 600_000);
        RuleFor(p => p.BodyContains).MaximumLength(1024);
        RuleFor(p => p.TimeoutMs).InclusiveBetween(100, 120_000);
    }
}
