using System.Text.RegularExpressions;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>Names of webhooks (and alert rules): 1–63 characters of <c>a-z 0-9 . _ -</c>, starting with a letter or digit.</summary>
internal static partial class WebhookNames
{
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    public const string Rule = "A name is 1–63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit.";

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
