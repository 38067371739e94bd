using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Ops.Agent.Policy;

namespace Ops.Agent.Redaction;

/// <summary>
/// The agent's <see cref="IRedactor"/>. Secret values, collected once at start from the whole
/// configuration (every section):
/// <list type="bullet">
/// <item><c>Policy:Secrets</c> (literal values);</item>
/// <item>every value whose key (its last segment, or the array's name for an array element)
/// contains <c>Password</c>, <c>Secret</c>, <c>Token</c> or <c>ApiKey</c>, case-insensitive;</item>
/// <item>the <c>Password=</c> / <c>Pwd=</c> part of every value whose key is <c>ConnectionString</c>
/// or lies under <c>ConnectionStrings</c>;</item>
/// <item>values of <c>…:Environment:&lt;NAME&gt;</c> keys whose NAME contains PASSWORD, SECRET, TOKEN or KEY;</item>
/// <item>the credentials of <c>Policy:Http:Credentials</c> as they are sent (a header credential's
/// <c>Value</c>, the <c>base64(user:password)</c> of a basic one) and the value of every environment
/// variable named by a <c>…:FromEnvironment</c> key (the HTTP credentials', the Redis instances').</item>
/// </list>
/// Values shorter than <see cref="MinSecretLength"/> and <c>true</c>/<c>false</c> are ignored (they
/// would redact ordinary words). Each secret is also matched in its JSON-escaped form.
/// Patterns: private key blocks (PEM <c>BEGIN … PRIVATE KEY</c>), the password of a URL
/// (<c>scheme://user:password@host</c>), <c>password=</c> / <c>PGPASSWORD=</c> / <c>secret:</c> /
/// <c>token=</c> / <c>api_key=</c> assignments, JSON members with such names, and
/// <c>Bearer</c> / <c>Basic</c> credentials.
/// </summary>
internal sealed partial class Redactor : IRedactor
{
    /// <summary>The replacement text.</summary>
    public const string Marker = "[REDACTED]";

    /// <summary>What a private key block becomes.</summary>
    public const string PrivateKeyMarker = "[REDACTED PRIVATE KEY]";

    /// <summary>Shortest configured value treated as a secret.</summary>
    public const int MinSecretLength = 4;

    private static readonly string[] SecretKeyWords = ["password", "secret", "token", "apikey"];
    private static readonly string[] EnvironmentKeyWords = ["PASSWORD", "SECRET", "TOKEN", "KEY"];
    private readonly string[] secrets;

    /// <summary>Collects the secrets of <paramref name="configuration"/>.</summary>
    public Redactor(IConfiguration configuration)
        : this(CollectSecrets(configuration))
    {
    }

    /// <summary>Creates a redactor for the given literal secrets (tests, tools).</summary>
    public Redactor(IEnumerable<string> secretValues)
    {
        ArgumentNullException.ThrowIfNull(secretValues);
        secrets = secretValues
            .Where(IsUsableSecret)
            .SelectMany(s => new[] { s, JsonEncodedText.Encode(s).Value })
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length)
            .ToArray();
    }

    /// <summary>The number of distinct secret strings matched (with their JSON forms).</summary>
    public int SecretCount => secrets.Length;

    /// <summary>Collects the secret values of a configuration (see the class remarks).</summary>
    public static IReadOnlyList<string> CollectSecrets(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var found = new List<string>();
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            var segments = key.Split(':');
            var name = segments[^1];
            if (name.Length > 0 && name.All(char.IsAsciiDigit) && segments.Length > 1)
            {
                name = segments[^2];
            }

            var compact = name.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
            if (SecretKeyWords.Any(w => compact.Contains(w, StringComparison.OrdinalIgnoreCase)))
            {
                found.Add(value);
            }

            if (segments.Length > 1 && segments[^2].Equals("Environment", StringComparison.OrdinalIgnoreCase)
                && EnvironmentKeyWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase)))
            {
                found.Add(value);
            }

            if (name.Equals("ConnectionString", StringComparison.OrdinalIgnoreCase)
                || (segments.Length > 1 && segments[^2].Equals("ConnectionStrings", StringComparison.OrdinalIgnoreCase)))
            {
                foreach (Match match in ConnectionStringPassword().Matches(value))
                {
                    var password = match.Groups["value"].Value.Trim();
                    if (password.Length > 1 && (password[0] == '"' || password[0] == '\'') && password[^1] == password[0])
                    {
                        found.Add(password);
                        password = password[1..^1];
                    }

                    found.Add(password);
                }
            }
        }

        CollectHttpAndEnvironmentSecrets(configuration, found);
        return found;
    }

    /// <inheritdoc />
    public string Redact(string text) => RedactCore(text, out _);

    /// <inheritdoc />
    public string RedactLines(string lines, ref bool insidePrivateKey)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (insidePrivateKey)
        {
            var end = PrivateKeyEnd().Match(lines);
            if (!end.Success)
            {
                return string.Empty;
            }

            var rest = end.Index + end.Length;
            var newline = lines.IndexOf('\n', rest);
            lines = newline < 0 ? string.Empty : lines[(newline + 1)..];
            insidePrivateKey = false;
        }

        var redacted = RedactCore(lines, out var open);
        insidePrivateKey = open;
        return redacted;
    }

    private static void CollectHttpAndEnvironmentSecrets(IConfiguration configuration, List<string> found)
    {
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (!string.IsNullOrEmpty(value) && key.EndsWith(":FromEnvironment", StringComparison.OrdinalIgnoreCase)
                && Environment.GetEnvironmentVariable(value) is { Length: > 0 } fromEnvironment)
            {
                found.Add(fromEnvironment);
            }
        }

        foreach (var credential in configuration.GetSection("Policy:Http:Credentials").GetChildren())
        {
            var policy = credential.Get<HttpCredentialPolicy>();
            if (policy is not null && HttpCredential.TryResolve(credential.Key, policy, out var resolved, out _))
            {
                var value = resolved!.HeaderValue;
                found.Add(value);
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                if (resolved.HeaderName == "Authorization" && space > 0)
                {
                    found.Add(value[(space + 1)..]); // the token or base64(user:password) alone
                }
            }
        }
    }

    private static bool IsUsableSecret(string value) =>
        !string.IsNullOrWhiteSpace(value)
        && value.Trim().Length >= MinSecretLength
        && !value.Equals("true", StringComparison.OrdinalIgnoreCase)
        && !value.Equals("false", StringComparison.OrdinalIgnoreCase);

    private string RedactCore(string text, out bool openPrivateKey)
    {
        ArgumentNullException.ThrowIfNull(text);
        openPrivateKey = false;
        if (text.Length == 0)
        {
            return text;
        }

        if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            text = PrivateKeyBlock().Replace(text, PrivateKeyMarker);
            var begin = PrivateKeyBegin().Match(text);
            if (begin.Success)
            {
                text = text[..begin.Index] + PrivateKeyMarker + "\n";
                openPrivateKey = true;
            }
        }

        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Marker, StringComparison.Ordinal);
            }
        }

        if (text.Contains("://", StringComparison.Ordinal))
        {
            text = UrlPassword().Replace(text, "${prefix}" + Marker + "@");
        }

        text = Assignment().Replace(text, "${key}${sep}" + Marker);
        text = JsonMember().Replace(text, "${key}\"" + Marker + "\"");
        text = AuthorizationCredential().Replace(text, "${scheme} " + Marker);
        return text;
    }

    [GeneratedRegex(@"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKeyBlock();

    [GeneratedRegex(@"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKeyBegin();

    [GeneratedRegex(@"-----END [A-Z0-9 ]*PRIVATE KEY-----", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKeyEnd();

    /// <summary>RFC 3986 userinfo: <c>scheme://user:password@</c>.</summary>
    [GeneratedRegex(@"(?<prefix>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]*:)(?!\[REDACTED\])[^\s/@]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    /// <summary><c>password=x</c>, <c>PGPASSWORD=x</c>, <c>client_secret: x</c>, <c>api-key=x</c>, <c>token=x</c>.</summary>
    [GeneratedRegex(
        @"(?<key>(?:password|passwd|secret|token|api[_-]?key|access[_-]?key))(?<sep>\s*[=:]\s*)(?!\[REDACTED)(?:""[^""\r\n]*""|'[^'\r\n]*'|[^\s""'&;,]+)",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Assignment();

    /// <summary>JSON members named like credentials: <c>"password": "x"</c>, <c>"accessToken":"x"</c>.</summary>
    [GeneratedRegex(
        @"(?<key>""[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api[_-]?key)""\s*:\s*)""(?!\[REDACTED)(?:[^""\\]|\\.)*""",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex JsonMember();

    /// <summary><c>Bearer x</c> (RFC 6750) and <c>Basic x</c> (RFC 7617) credentials.</summary>
    [GeneratedRegex(@"(?<scheme>\bBearer|Authorization:\s*Basic)\s+(?!\[REDACTED)[A-Za-z0-9\-._~+/]{8,}=*", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex AuthorizationCredential();

    /// <summary><c>Password=x;</c> / <c>Pwd='x'</c> in an ADO.NET / libpq key-value connection string.</summary>
    [GeneratedRegex(@"(?:^|;)\s*(?:password|pwd)\s*=\s*(?<value>""(?:[^""]|"""")*""|'(?:[^']|'')*'|[^;]*)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringPassword();
}
