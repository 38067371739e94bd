using System.Text.RegularExpressions;
using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>
/// Validates <see cref="HttpRequestParameters"/>: an absolute http/https URL without user info
/// (credentials are named, never sent in the URL), one of the six methods, a body only with a
/// method that carries one, at most 50 headers with RFC 9110 token names and values without
/// control characters, never <c>Authorization</c>, <c>Proxy-Authorization</c>, <c>Cookie</c>,
/// <c>Host</c> or a hop-by-hop / framing header (RFC 9110 §7.6.1), bounded limits.
/// </summary>
public sealed partial class HttpRequestParametersValidator : AbstractValidator<HttpRequestParameters>
{
    /// <summary>The accepted methods (upper case, exact).</summary>
    public static readonly IReadOnlyList<string> Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>The methods that change something and need <c>Policy:Http:AllowedMutations</c>.</summary>
    public static readonly IReadOnlyList<string> MutatingMethods = ["POST", "PUT", "PATCH", "DELETE"];

    /// <summary>Largest request body, in UTF-16 characters (the parameters document is at most 64 KiB anyway).</summary>
    public const int MaxBodyLength = 32 * 1024;

    private static readonly HashSet<string> RefusedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Host", "Content-Length", "Transfer-Encoding",
        "Connection", "Keep-Alive", "Upgrade", "TE", "Trailer", "Proxy-Connection", "Expect",
    };

    /// <summary>Creates the rules.</summary>
    public HttpRequestParametersValidator()
    {
        RuleFor(p => p.Url).NotEmpty().MaximumLength(2048)
            .Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0)
            .WithMessage("'{PropertyValue}' is not an absolute http:// or https:// URL.")
            .Must(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0)
            .WithMessage("url must not carry user info: name a credential of the agent's policy instead.");
        RuleFor(p => p.Method).NotEmpty().OneOf(Methods).WithMessage("method must be one of GET, HEAD, POST, PUT, PATCH, DELETE.");
        RuleFor(p => p.Credential).Matches(ParameterRules.NamePattern)
            .WithMessage("'{PropertyName}' must be a name from the agent's policy: letters, digits, '_', '.', '-' (at most 100).");
        RuleFor(p => p.Headers).Must(h => h is null || h.Count <= 50).WithMessage("headers: at most 50.");
        RuleFor(p => p.Headers).Custom((headers, context) =>
        {
            foreach (var header in headers ?? new Dictionary<string, string>())
            {
                var key = $"Headers[{header.Key}]";
                if (!HeaderName().IsMatch(header.Key))
                {
                    context.AddFailure(key, $"'{header.Key}' is not a header name (RFC 9110 token, at most 100 characters).");
                }
                else if (RefusedHeaders.Contains(header.Key))
                {
                    context.AddFailure(key, header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
                        ? $"'{header.Key}' cannot be set here: name a credential of the agent's policy."
                        : $"'{header.Key}' is set by the agent and cannot be given.");
                }

                if (header.Value is null || header.Value.Length > 4096 || header.Value.Any(c => (c < ' ' && c != '\t') || c == '\u007f'))
                {
                    context.AddFailure(key, "a header value is at most 4096 characters without control characters.");
                }
            }
        });
        RuleFor(p => p.Body).MaximumLength(MaxBodyLength);
        RuleFor(p => p.Body).Null().When(p => p.Method is "GET" or "HEAD").WithMessage("a GET or HEAD request has no body.");
        RuleFor(p => p.ExpectedStatus).Must(s => s is null || (s.Count is > 0 and <= 50)).WithMessage("expectedStatus: 1 to 50 status codes.");
        RuleForEach(p => p.ExpectedStatus).InclusiveBetween(100, 599);
        RuleFor(p => p.MaxLatencyMs).InclusiveBetween(1, 600_000);
        RuleFor(p => p.BodyContains).MaximumLength(1024);
        RuleFor(p => p.BodyContains).Null().When(p => p.Method == "HEAD").WithMessage("a HEAD response has no body to search.");
        RuleFor(p => p.TimeoutMs).InclusiveBetween(100, 300_000);
    }

    [GeneratedRegex(@"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")]
    private static partial Regex HeaderName();
}
