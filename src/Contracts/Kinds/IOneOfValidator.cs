namespace Ops.Contracts.Kinds;

/// <summary>A validator that accepts only fixed string values (published as a JSON Schema <c>enum</c>).</summary>
public interface IOneOfValidator
{
    /// <summary>The accepted values, in the order shown to people.</summary>
    IReadOnlyList<string> Values { get; }
}
