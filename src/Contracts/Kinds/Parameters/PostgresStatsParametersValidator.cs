using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="PostgresStatsParameters"/>.</summary>
public sealed class PostgresStatsParametersValidator : AbstractValidator<PostgresStatsParameters>
{
    /// <summary>The sections <c>postgres.stats</c> knows.</summary>
    public static readonly string[] KnownSections = ["size", "connections", "tables", "slowQueries", "replication"];

    /// <summary>Creates the rules.</summary>
    public PostgresStatsParametersValidator()
    {
        RuleFor(p => p.Database).PolicyName();
        RuleForEach(p => p.Sections).Must(s => KnownSections.Contains(s))
            .WithMessage($"'{{PropertyValue}}' is not a section; expected {string.Join(", ", KnownSections)}.");
    }
}
