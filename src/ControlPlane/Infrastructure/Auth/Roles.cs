namespace Ops.ControlPlane.Infrastructure.Auth;

/// <summary>
/// The API roles (DESIGN.md §7), carried in the JWT claim <c>role</c> and hierarchical:
/// <c>viewer</c> &lt; <c>operator</c> &lt; <c>admin</c>. Each name is also the authorization
/// policy that admits that role and every role above it.
/// </summary>
internal static class Roles
{
    public const string ClaimType = "role";
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>All roles, lowest first.</summary>
    public static IReadOnlyList<string> Ordered { get; } = [Viewer, Operator, Admin];

    /// <summary>The roles that satisfy <paramref name="minimum"/>: it and every higher one.</summary>
    public static string[] AtLeast(string minimum) => Ordered.SkipWhile(r => r != minimum).ToArray();

    /// <summary>True when <paramref name="role"/> is one of the known roles.</summary>
    public static bool IsKnown(string? role) => role is not null && Ordered.Contains(role);
}
