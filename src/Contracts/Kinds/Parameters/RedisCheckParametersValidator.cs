using FluentValidation;

namespace Ops.Contracts.Kinds.Parameters;

/// <summary>Validates <see cref="RedisCheckParameters"/>: a policy name, known sections, bounded pattern, lists and thresholds.</summary>
public sealed class RedisCheckParametersValidator : AbstractValidator<RedisCheckParameters>
{
    /// <summary>The INFO sections that may be asked for (lower case).</summary>
    public static readonly IReadOnlyList<string> KnownSections = ["memory", "clients", "stats", "keyspace", "server", "replication", "persistence"];

    /// <summary>Creates the rules.</summary>
    public RedisCheckParametersValidator()
    {
        RuleFor(p => p.Instance).PolicyName();
        RuleFor(p => p.Sections).Must(s => s is null || s.Count <= KnownSections.Count).WithMessage("sections: at most one of each.");
        RuleForEach(p => p.Sections).NotNull().OneOf(KnownSections);
        RuleFor(p => p.KeyPattern).MaximumLength(256)
            .Must(k => k is null || (k.Length > 0 && !k.Any(char.IsControl))).WithMessage("keyPattern is 1–256 characters without control characters.");
        RuleFor(p => p.Lists).Must(l => l is null || l.Count is > 0 and <= 50).WithMessage("lists: 1 to 50 key names.");
        RuleForEach(p => p.Lists).NotEmpty().MaximumLength(512)
            .Must(k => k is null || !k.Any(char.IsControl)).WithMessage("a list key has no control characters.");
        RuleFor(p => p.MaxMemoryPercent).InclusiveBetween(1, 100);
        RuleFor(p => p.MaxListLength).GreaterThanOrEqualTo(0L);
        RuleFor(p => p.MaxListLength).Null().When(p => p.Lists is null).WithMessage("maxListLength needs lists.");
    }
}
