using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Ops.ControlPlane.Infrastructure.Auth;

/// <summary>
/// Bootstrap command: <c>Ops.ControlPlane token --sub alice --role operator --ttl 8h</c> prints
/// a JWT signed with the configured key (or <c>$OPS_HOME/jwt-signing.key</c>). TTL units:
/// <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>; default 8h.
/// </summary>
internal static class TokenCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string? subject = null;
        var role = Roles.Viewer;
        var ttl = "8h";
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--sub" when value is not null: subject = value; i++; break;
                case "--role" when value is not null: role = value; i++; break;
                case "--ttl" when value is not null: ttl = value; i++; break;
                default:
                    error.WriteLine($"Unknown or incomplete argument '{args[i]}'. Usage: token --sub <name> --role viewer|operator|admin [--ttl 8h]");
                    return 2;
            }
        }

        if (string.IsNullOrWhiteSpace(subject))
        {
            error.WriteLine("--sub is required. Usage: token --sub <name> --role viewer|operator|admin [--ttl 8h]");
            return 2;
        }

        if (!Roles.IsKnown(role))
        {
            error.WriteLine($"Unknown role '{role}'; expected one of {string.Join(", ", Roles.Ordered)}.");
            return 2;
        }

        if (!TryParseTtl(ttl, out var lifetime))
        {
            error.WriteLine($"Invalid --ttl '{ttl}'; use a number with s, m, h or d (e.g. 8h).");
            return 2;
        }

        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var issuer = new TokenIssuer(SigningKeyProvider.Resolve(configuration), options, TimeProvider.System);
        output.WriteLine(issuer.Mint(subject, role, lifetime));
        return 0;
    }

    /// <summary>Parses <c>90s</c>, <c>30m</c>, <c>8h</c>, <c>7d</c> (at most 366 days).</summary>
    public static bool TryParseTtl(string text, out TimeSpan lifetime)
    {
        lifetime = TimeSpan.Zero;
        if (text.Length < 2 || !int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return false;
        }

        lifetime = text[^1] switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            _ => TimeSpan.Zero,
        };
        return lifetime > TimeSpan.Zero && lifetime <= TimeSpan.FromDays(366);
    }
}
