using System.Text.RegularExpressions;
using FluentValidation;

namespace Ops.Contracts.Kinds;

/// <summary>
/// Shared FluentValidation rules for operation parameters. The API names things the agent's
/// policy defines (databases, scripts, checks, rules, services) and never carries connection
/// strings or shell text (DESIGN.md §6, §9).
/// </summary>
public static partial class ParameterRules
{
    /// <summary>A policy name: 1–100 of letters, digits, <c>_ . -</c>, starting with a letter or digit (<c>demo</c>, <c>demo.pipeline</c>).</summary>
    public const string NamePattern = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$";

    /// <summary>A table, optionally schema-qualified: <c>user_sessions</c>, <c>manalytics.tournaments</c>.</summary>
    public const string TablePattern = "^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$";

    /// <summary>A file name without any folder: <c>demo_20261122_020000.dump</c>.</summary>
    public const string FileNamePattern = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$";

    /// <summary>A policy name (database, script, check, rule, service).</summary>
    public static IRuleBuilderOptions<T, string?> PolicyName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().Matches(NamePattern).WithMessage("'{PropertyName}' must be a name from the agent's policy: letters, digits, '_', '.', '-' (at most 100).");

    /// <summary>One of fixed values (case-sensitive), published as the schema's <c>enum</c>.</summary>
    public static IRuleBuilderOptions<T, string?> OneOf<T>(this IRuleBuilder<T, string?> rule, IReadOnlyList<string> values) =>
        rule.SetValidator(new OneOfValidator<T>(values));

    /// <summary>A table name (optionally schema-qualified), never SQL text.</summary>
    public static IRuleBuilderOptions<T, string?> TableName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().Matches(TablePattern).WithMessage("'{PropertyValue}' is not a table name (schema.table, letters, digits and '_').");

    /// <summary>An absolute path without NUL bytes, at most 4,096 characters.</summary>
    public static IRuleBuilderOptions<T, string?> AbsolutePath<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty().MaximumLength(4096)
            .Must(p => p is null || (p.StartsWith('/') && !p.Contains('\0', StringComparison.Ordinal)))
            .WithMessage("'{PropertyValue}' is not an absolute path.");

    /// <summary>A .NET regular expression that compiles, at most 512 characters.</summary>
    public static IRuleBuilderOptions<T, string?> ValidRegex<T>(this IRuleBuilder<T, string?> rule) =>
        rule.MaximumLength(512).Must(BeARegex).WithMessage("'{PropertyName}' is not a valid regular expression.");

    private static bool BeARegex(string? pattern)
    {
        if (pattern is null)
        {
            return true;
        }

        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
