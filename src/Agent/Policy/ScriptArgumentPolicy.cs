namespace Ops.Agent.Policy;

/// <summary>
/// A typed script argument of <c>Policy:Scripts:&lt;name&gt;:Arguments</c>. Types:
/// <c>enum</c> (one of <see cref="Values"/>), <c>integer</c> (between <see cref="Min"/> and
/// <see cref="Max"/>), <c>flag</c> (boolean: <see cref="Flag"/> is added when true) and
/// <c>pattern</c> (a string fully matching <see cref="Pattern"/>).
/// </summary>
internal sealed record ScriptArgumentPolicy
{
    /// <summary><c>enum</c>, <c>integer</c>, <c>flag</c> or <c>pattern</c>.</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary>Allowed values of an <c>enum</c> (exact, case-sensitive).</summary>
    public string[]? Values { get; set; }

    /// <summary>Whether the argument must be given (a <see cref="Default"/> also satisfies it).</summary>
    public bool Required { get; set; }

    /// <summary>Smallest <c>integer</c> value (inclusive).</summary>
    public long? Min { get; set; }

    /// <summary>Largest <c>integer</c> value (inclusive).</summary>
    public long? Max { get; set; }

    /// <summary>The value used when the argument is absent (checked like a given value).</summary>
    public string? Default { get; set; }

    /// <summary>The argv entry a <c>flag</c> adds when true, e.g. <c>--debug</c>.</summary>
    public string? Flag { get; set; }

    /// <summary>.NET regular expression a <c>pattern</c> value must match (anchor it with ^…$; it is also checked as a full match).</summary>
    public string? Pattern { get; set; }
}
