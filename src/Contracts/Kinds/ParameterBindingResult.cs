namespace Ops.Contracts.Kinds;

/// <summary>
/// Outcome of <c>ParameterBinder.Bind</c>: the typed parameter record, or the errors keyed
/// by field path (<c>parameters.minFreeBytes</c>, <c>parameters.paths[0]</c>) in the shape of an
/// RFC 9457 validation problem's <c>errors</c> map.
/// </summary>
public sealed record ParameterBindingResult(object? Value, IReadOnlyDictionary<string, string[]> Errors)
{
    /// <summary>True when the parameters deserialised and passed the kind's validator.</summary>
    public bool IsValid => Errors.Count == 0;
}
