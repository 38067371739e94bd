using System.Globalization;
using System.Text.RegularExpressions;

namespace Ops.Agent.Policy;

/// <summary>
/// The start-time checks of <c>Policy:Http</c>, <c>Policy:Archives</c>, <c>Policy:Redis</c> and
/// <c>Policy:RabbitMq</c> (issue 15), called by <see cref="PolicyOptionsValidator"/> so every
/// problem is reported at once with its key: credential schemes with what each needs (an unset
/// <c>FromEnvironment</c> variable too), at least one allowed URL per credential, absolute
/// http/https prefixes, an absolute archive folder, one Redis endpoint per instance (host + port or
/// a Unix socket) with sane numbers, and RabbitMQ endpoints whose credential exists and may be sent
/// to their URL. Messages never contain a secret.
/// </summary>
internal static partial class IntegrationPolicyValidator
{
    /// <summary>Adds every problem of <paramref name="options"/> to <paramref name="errors"/>.</summary>
    public static void Validate(PolicyOptions options, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        const string Http = "Policy:Http";
        foreach (var (name, credential) in options.Http.Credentials)
        {
            var key = $"{Http}:Credentials:{name}";
            if (!Name().IsMatch(name))
            {
                errors.Add($"{key}: a credential name is 1–100 letters, digits, '_', '.', '-', starting with a letter or digit.");
            }

            if (!HttpCredential.TryResolve(name, credential, out var resolved, out var error))
            {
                errors.Add(error!);
            }
            else if (credential.Scheme!.Equals("header", StringComparison.OrdinalIgnoreCase) && !HeaderName().IsMatch(resolved!.HeaderName))
            {
                errors.Add($"{key}:Header '{resolved.HeaderName}' is not a header name (RFC 9110 token).");
            }

            if (credential.AllowedUrls is not { Length: > 0 })
            {
                errors.Add($"{key}:AllowedUrls must list the URL prefixes this credential may be sent to.");
            }

            CheckPrefixes(credential.AllowedUrls, $"{key}:AllowedUrls", errors);
        }

        CheckPrefixes(options.Http.AllowedMutations, $"{Http}:AllowedMutations", errors);

        if (options.Archives.Directory is { } archives && !archives.StartsWith('/'))
        {
            errors.Add($"Policy:Archives:Directory '{archives}' must be an absolute path.");
        }

        foreach (var (name, instance) in options.Redis.Instances)
        {
            var key = $"Policy:Redis:Instances:{name}";
            if (!Name().IsMatch(name))
            {
                errors.Add($"{key}: an instance name is 1–100 letters, digits, '_', '.', '-', starting with a letter or digit.");
            }

            var hasHost = !string.IsNullOrWhiteSpace(instance.Host);
            var hasSocket = !string.IsNullOrWhiteSpace(instance.UnixSocket);
            if (hasHost == hasSocket)
            {
                errors.Add($"{key}: set exactly one of Host (with Port) or UnixSocket.");
            }

            if (hasSocket && !instance.UnixSocket!.StartsWith('/'))
            {
                errors.Add($"{key}:UnixSocket '{instance.UnixSocket}' must be an absolute path.");
            }

            if (instance.Port is < 1 or > 65535)
            {
                errors.Add($"{key}:Port must be 1–65535 (got {instance.Port.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (instance.Database is < 0 or > 10_000)
            {
                errors.Add($"{key}:Database must be 0 or more (got {instance.Database.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (instance.TimeoutMs is < 100 or > 120_000)
            {
                errors.Add($"{key}:TimeoutMs must be 100–120000 (got {instance.TimeoutMs.ToString(CultureInfo.InvariantCulture)}).");
            }

            if (!string.IsNullOrEmpty(instance.FromEnvironment) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(instance.FromEnvironment)))
            {
                errors.Add($"{key}:FromEnvironment: the environment variable '{instance.FromEnvironment}' is not set.");
            }
        }

        foreach (var (name, endpoint) in options.RabbitMq.Endpoints)
        {
            var key = $"Policy:RabbitMq:Endpoints:{name}";
            if (!Name().IsMatch(name))
            {
                errors.Add($"{key}: an endpoint name is 1–100 letters, digits, '_', '.', '-', starting with a letter or digit.");
            }

            if (!UrlPrefix.TryParse(endpoint.Url, out var url))
            {
                errors.Add($"{key}:Url '{endpoint.Url}' must be an absolute http:// or https:// URL without user info.");
            }

            if (string.IsNullOrEmpty(endpoint.Credential))
            {
                errors.Add($"{key}:Credential must name a Policy:Http:Credentials entry (the management API needs a user).");
            }
            else if (!options.Http.Credentials.TryGetValue(endpoint.Credential, out var credential))
            {
                errors.Add($"{key}:Credential '{endpoint.Credential}' is not in Policy:Http:Credentials.");
            }
            else if (url is not null && !UrlPrefix.AnyCovers(credential.AllowedUrls, new Uri(endpoint.Url!.TrimEnd('/') + "/api/queues/")))
            {
                errors.Add($"{key}: credential '{endpoint.Credential}' may not be sent to '{endpoint.Url}' (add it to Policy:Http:Credentials:{endpoint.Credential}:AllowedUrls).");
            }
        }
    }

    private static void CheckPrefixes(string[]? prefixes, string key, List<string> errors)
    {
        for (var i = 0; i < (prefixes?.Length ?? 0); i++)
        {
            if (!UrlPrefix.TryParse(prefixes![i], out _))
            {
                errors.Add($"{key}:{i.ToString(CultureInfo.InvariantCulture)}: '{prefixes[i]}' must be an absolute http:// or https:// URL without user info.");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex Name();

    [GeneratedRegex(@"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")]
    private static partial Regex HeaderName();
}
