using FluentValidation;
using FluentValidation.Validators;

namespace Ops.Contracts.Kinds;

/// <summary>
/// A string that must be one of fixed values (case-sensitive; null passes, as for the other
/// optional rules). <see cref="ParameterSchema"/> publishes the values as the property's JSON
/// Schema <c>enum</c>, so the schema and the validator cannot drift apart.
/// </summary>
/// <typeparam name="T">The validated record.</typeparam>
public sealed class OneOfValidator<T>(IReadOnlyList<string> values) : PropertyValidator<T, string?>, IOneOfValidator
{
    /// <inheritdoc />
    public IReadOnlyList<string> Values { get; } = values;

    /// <inheritdoc />
    public override string Name => "OneOfValidator";

    /// <inheritdoc />
    public override bool IsValid(ValidationContext<T> context, string? value) => value is null || Values.Contains(value, StringComparer.Ordinal);

    /// <inheritdoc />
    protected override string GetDefaultMessageTemplate(string errorCode) =>
        "'{PropertyValue}' is not one of " + string.Join(", ", Values) + ".";
}
