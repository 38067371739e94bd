namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Checks free-text query parameters (filters) before they reach SQL: at most 200 characters, no control characters (PostgreSQL text cannot hold NUL).</summary>
internal static class QueryText
{
    /// <summary>Adds an error for <paramref name="name"/> when <paramref name="value"/> is unusable.</summary>
    public static void Validate(string name, string? value, IDictionary<string, string[]> errors)
    {
        if (value is not null && (value.Length > 200 || value.Any(char.IsControl)))
        {
            errors[name] = [$"{name} must be at most 200 characters without control characters."];
        }
    }
}
