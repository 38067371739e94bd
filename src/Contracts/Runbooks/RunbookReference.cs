namespace Ops.Contracts.Runbooks;

/// <summary>What a <c>${…}</c> reference names (DESIGN.md §12).</summary>
public enum RunbookReferenceKind
{
    /// <summary>Not one of the forms below.</summary>
    Invalid,

    /// <summary><c>params.&lt;name&gt;</c>: a run parameter (typed).</summary>
    Parameter,

    /// <summary><c>steps.&lt;step&gt;.result[.&lt;path&gt;]</c>: the result of an earlier step that ran on exactly one agent.</summary>
    StepResult,

    /// <summary><c>steps.&lt;step&gt;.status</c>: an earlier step's status (<c>succeeded</c>, <c>failed</c> …).</summary>
    StepStatus,

    /// <summary><c>run.id</c>.</summary>
    RunId,

    /// <summary><c>run.requestedBy</c>.</summary>
    RunRequestedBy,
}

/// <summary>A parsed reference: its kind, the parameter or step <see cref="Name"/>, and for results the path inside the result (<c>file</c>, <c>mounts.0.free</c>).</summary>
public sealed record RunbookReference(string Text, RunbookReferenceKind Kind, string? Name, IReadOnlyList<string> Path)
{
    /// <summary>Parses the text between <c>${</c> and <c>}</c>.</summary>
    public static RunbookReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('.');
        return parts switch
        {
            ["params", var name] when name.Length > 0 => new(text, RunbookReferenceKind.Parameter, name, []),
            ["run", "id"] => new(text, RunbookReferenceKind.RunId, null, []),
            ["run", "requestedBy"] => new(text, RunbookReferenceKind.RunRequestedBy, null, []),
            ["steps", var step, "status"] when step.Length > 0 => new(text, RunbookReferenceKind.StepStatus, step, []),
            ["steps", var step, "result", .. var path] when step.Length > 0 && path.All(p => p.Length > 0) => new(text, RunbookReferenceKind.StepResult, step, path),
            ["steps", var step, ..] when step.Length > 0 => new(text, RunbookReferenceKind.Invalid, step, []),
            _ => new(text, RunbookReferenceKind.Invalid, null, []),
        };
    }
}
