using System.Text;

namespace Ops.Agent.Policy;

/// <summary>
/// A credential of <c>Policy:Http:Credentials</c> resolved to the one header it adds:
/// <c>Authorization: Basic …</c>, <c>Authorization: Bearer …</c> or a custom header.
/// </summary>
/// <param name="Name">The policy name.</param>
/// <param name="HeaderName">The header to send (<c>Authorization</c>, <c>X-Api-Key</c>).</param>
/// <param name="HeaderValue">Its value, a secret: never logged, redacted if echoed.</param>
/// <param name="AllowedUrls">Where it may be sent.</param>
internal sealed record HttpCredential(string Name, string HeaderName, string HeaderValue, IReadOnlyList<string> AllowedUrls)
{
    /// <summary>The credential schemes (lower case).</summary>
    public static readonly IReadOnlyList<string> Schemes = ["basic", "bearer", "header"];

    /// <summary>
    /// Resolves <paramref name="policy"/>: the secret from <c>FromEnvironment</c> when set, else
    /// from the entry. Never puts a secret into <paramref name="error"/>.
    /// </summary>
    /// <param name="name">The credential's name (for messages).</param>
    /// <param name="policy">The entry.</param>
    /// <param name="credential">The resolved header; null when <paramref name="error"/> is set.</param>
    /// <param name="error">What is missing, naming the configuration key.</param>
    /// <returns>True when resolved.</returns>
    public static bool TryResolve(string name, HttpCredentialPolicy policy, out HttpCredential? credential, out string? error)
    {
        ArgumentNullException.ThrowIfNull(policy);
        credential = null;
        var key = $"Policy:Http:Credentials:{name}";
        var scheme = policy.Scheme?.ToLowerInvariant();
        string? secret;
        if (!string.IsNullOrEmpty(policy.FromEnvironment))
        {
            secret = Environment.GetEnvironmentVariable(policy.FromEnvironment);
            if (string.IsNullOrEmpty(secret))
            {
                error = $"{key}:FromEnvironment: the environment variable '{policy.FromEnvironment}' is not set.";
                return false;
            }
        }
        else
        {
            secret = scheme switch { "basic" => policy.Password, "bearer" => policy.Token, "header" => policy.Value, _ => null };
        }

        switch (scheme)
        {
            case "basic" when string.IsNullOrEmpty(policy.Username) || policy.Username.Contains(':', StringComparison.Ordinal):
                error = $"{key}:Username is required for a basic credential and cannot contain ':' (RFC 7617).";
                return false;
            case "basic" when string.IsNullOrEmpty(secret):
                error = $"{key}: a basic credential needs Password or FromEnvironment.";
                return false;
            case "basic":
                credential = new HttpCredential(name, "Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{policy.Username}:{secret}")), policy.AllowedUrls ?? []);
                break;
            case "bearer" when string.IsNullOrEmpty(secret):
                error = $"{key}: a bearer credential needs Token or FromEnvironment.";
                return false;
            case "bearer":
                credential = new HttpCredential(name, "Authorization", "Bearer " + secret, policy.AllowedUrls ?? []);
                break;
            case "header" when string.IsNullOrEmpty(policy.Header):
                error = $"{key}:Header is required for a header credential (e.g. X-Api-Key).";
                return false;
            case "header" when string.IsNullOrEmpty(secret):
                error = $"{key}: a header credential needs Value or FromEnvironment.";
                return false;
            case "header":
                credential = new HttpCredential(name, policy.Header!, secret!, policy.AllowedUrls ?? []);
                break;
            default:
                error = $"{key}:Scheme '{policy.Scheme}' is not one of basic, bearer, header.";
                return false;
        }

        if (credential.HeaderValue.Any(c => c is '\r' or '\n' or '\0'))
        {
            credential = null;
            error = $"{key}: the secret contains a line break or NUL.";
            return false;
        }

        error = null;
        return true;
    }
}
