using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ops.Contracts.Kinds;

namespace Ops.Contracts.Runbooks;

/// <summary>
/// Validates a runbook on save (DESIGN.md §12), reporting every error by path: every step's kind
/// exists and its parameters pass the kind's validator after references are resolved with the
/// declared parameters' defaults or placeholders; every reference names a declared parameter or
/// an earlier step (<c>steps[2].parameters.file: unknown reference steps.bakup</c>); step names are
/// unique; targets, rollouts, health gates and <c>onFailure</c> are well formed; at most
/// <see cref="MaxSteps"/> steps in all.
/// </summary>
public static partial class RunbookValidator
{
    /// <summary>Most steps in all phases (main, rollback, finally).</summary>
    public const int MaxSteps = 100;

    /// <summary>Most run parameters.</summary>
    public const int MaxParameters = 50;

    /// <summary>The values of <c>onFailure</c>.</summary>
    public static IReadOnlyList<string> OnFailureValues { get; } = ["abort", "continue", "rollback"];

    /// <summary>Every error of <paramref name="document"/>, keyed by path; empty when it is valid.</summary>
    public static IReadOnlyDictionary<string, string[]> Validate(RunbookDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (document.Description is { Length: > 2000 })
        {
            Add(errors, "description", "At most 2,000 characters.");
        }

        var parameters = document.Parameters ?? new Dictionary<string, RunbookParameter>();
        ValidateParameters(parameters, document.Required, errors);

        if (document.Locks is { } locks)
        {
            if (locks.Count > 20)
            {
                Add(errors, "locks", "At most 20 lock keys.");
            }
            else
            {
                for (var i = 0; i < locks.Count; i++)
                {
                    ValidateLock(locks[i], $"locks[{i}]", parameters, errors);
                }
            }
        }

        if (document.LockTimeoutSeconds is < 1 or > 604_800)
        {
            Add(errors, "lockTimeoutSeconds", "lockTimeoutSeconds must be between 1 and 604800.");
        }

        if (document.Approval?.MinApprovals is < 1 or > 10)
        {
            Add(errors, "approval.minApprovals", "minApprovals must be between 1 and 10.");
        }

        var phases = new (string Prefix, IReadOnlyList<RunbookStep> Steps)[]
        {
            ("steps", document.Steps ?? []), ("rollback", document.Rollback ?? []), ("finally", document.Finally ?? []),
        };
        if (phases[0].Steps.Count == 0)
        {
            Add(errors, "steps", "A runbook has at least one step.");
        }

        var total = phases.Sum(p => p.Steps.Count);
        if (total > MaxSteps)
        {
            Add(errors, "steps", $"At most {MaxSteps} steps in all (steps, rollback, finally); this runbook has {total}.");
            return errors;
        }

        // Every step's name and position, to tell a later step from an unknown one.
        var positions = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<(string Path, RunbookStep Step, string Phase)>();
        foreach (var (prefix, steps) in phases)
        {
            for (var i = 0; i < steps.Count; i++)
            {
                var path = $"{prefix}[{i}]";
                var step = steps[i];
                if (step is null)
                {
                    Add(errors, path, "A step is an object.");
                    continue;
                }

                if (step.Name is not { } name || !StepName().IsMatch(name))
                {
                    Add(errors, $"{path}.name", "A step name is 1–63 letters, digits, '_' or '-', starting with a letter.");
                }
                else if (positions.TryGetValue(name, out var first))
                {
                    Add(errors, $"{path}.name", $"Duplicate step name '{name}' (also {first}).");
                }
                else
                {
                    positions[name] = path;
                }

                order.Add((path, step, prefix));
            }
        }

        var visible = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, step, phase) in order)
        {
            ValidateStep(step, path, phase, parameters, positions, visible, document.Rollback is { Count: > 0 }, errors);
            if (step.Name is { } name)
            {
                visible.Add(name);
            }
        }

        return errors;
    }

    private static void ValidateParameters(IReadOnlyDictionary<string, RunbookParameter> parameters, IReadOnlyList<string>? required, Dictionary<string, string[]> errors)
    {
        if (parameters.Count > MaxParameters)
        {
            Add(errors, "parameters", $"At most {MaxParameters} parameters.");
            return;
        }

        foreach (var (name, p) in parameters)
        {
            var path = $"parameters.{name}";
            if (!ParameterName().IsMatch(name))
            {
                Add(errors, path, "A parameter name is 1–63 letters, digits or '_', starting with a letter.");
            }

            if (p is null)
            {
                Add(errors, path, "A parameter is an object such as {\"type\": \"string\"}.");
                continue;
            }

            if (p.Type is null || !RunParameters.Types.Contains(p.Type))
            {
                Add(errors, $"{path}.type", $"type must be one of {string.Join(", ", RunParameters.Types)}.");
                continue;
            }

            if (p.Description is { Length: > 1000 })
            {
                Add(errors, $"{path}.description", "At most 1,000 characters.");
            }

            if (p.Pattern is { } pattern)
            {
                if (p.Type != "string")
                {
                    Add(errors, $"{path}.pattern", "pattern applies to strings only.");
                }
                else if (pattern.Length > 1000 || !IsValidRegex(pattern))
                {
                    Add(errors, $"{path}.pattern", "Not a valid regular expression (at most 1,000 characters).");
                }
            }

            if ((p.Minimum is not null || p.Maximum is not null) && p.Type is not ("integer" or "number"))
            {
                Add(errors, path, "minimum and maximum apply to integers and numbers only.");
            }
            else if (p.Minimum > p.Maximum)
            {
                Add(errors, $"{path}.minimum", "minimum is greater than maximum.");
            }

            if (p.Enum is { } values)
            {
                var check = p with { Enum = null };
                if (values.Count is 0 or > 100 || values.Any(v => RunParameters.Check(v, check) is not null))
                {
                    Add(errors, $"{path}.enum", $"enum lists 1–100 values, each a valid {p.Type}.");
                }
            }

            if (p.Default is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } fallback && !errors.Keys.Any(k => k.StartsWith(path, StringComparison.Ordinal))
                && RunParameters.Check(fallback, p) is { } problem)
            {
                Add(errors, $"{path}.default", problem);
            }
        }

        if (required is not null)
        {
            for (var i = 0; i < required.Count; i++)
            {
                if (required[i] is null || !parameters.ContainsKey(required[i]))
                {
                    Add(errors, $"required[{i}]", $"'{required[i]}' is not a declared parameter.");
                }
            }
        }
    }

    private static void ValidateLock(string? key, string path, IReadOnlyDictionary<string, RunbookParameter> parameters, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 200)
        {
            Add(errors, path, "A lock key is 1–200 characters.");
            return;
        }

        foreach (var reference in RunbookReferences.In(key))
        {
            if (reference.Kind == RunbookReferenceKind.Parameter && !parameters.ContainsKey(reference.Name!))
            {
                Add(errors, path, $"unknown reference {reference.Text}: declare the parameter '{reference.Name}'.");
            }
            else if (reference.Kind is not (RunbookReferenceKind.Parameter or RunbookReferenceKind.RunId or RunbookReferenceKind.RunRequestedBy))
            {
                Add(errors, path, $"A lock key may reference params.<name>, run.id or run.requestedBy, not {reference.Text}.");
            }
        }

        if (!LockLiteral().IsMatch(LockReference().Replace(key, string.Empty)))
        {
            Add(errors, path, "A lock key is letters, digits and . _ : / - (e.g. deploy:${params.service}).");
        }
    }

    private static void ValidateStep(
        RunbookStep step,
        string path,
        string phase,
        IReadOnlyDictionary<string, RunbookParameter> parameters,
        IReadOnlyDictionary<string, string> positions,
        IReadOnlySet<string> visible,
        bool hasRollback,
        Dictionary<string, string[]> errors)
    {
        OperationKind? kind = null;
        if (string.IsNullOrEmpty(step.Kind))
        {
            Add(errors, $"{path}.kind", "The operation kind is required.");
        }
        else if (!OperationKindCatalog.TryGet(step.Kind, out kind))
        {
            Add(errors, $"{path}.kind", $"Unknown operation kind '{step.Kind}'. Known kinds: {string.Join(", ", OperationKindCatalog.All.Select(k => k.Name))}.");
        }

        if (step.Target is null)
        {
            Add(errors, $"{path}.target", "A target is required: one of agentIds, labels or all.");
        }
        else
        {
            ValidateTarget(step.Target, $"{path}.target", errors);
        }

        var resolver = SaveTimeResolver(step.Name, parameters, positions, visible);
        if (kind is not null)
        {
            BindParameters(kind, step.Parameters, $"{path}.parameters", resolver, errors);
        }

        if (step.Rollout is { } rollout)
        {
            RolloutRules.Validate(rollout, $"{path}.rollout", errors);
        }

        if (step.HealthGate is { } gate)
        {
            OperationKind? gateKind = null;
            if (string.IsNullOrEmpty(gate.Kind))
            {
                Add(errors, $"{path}.healthGate.kind", "The health gate's operation kind is required.");
            }
            else if (!OperationKindCatalog.TryGet(gate.Kind, out gateKind))
            {
                Add(errors, $"{path}.healthGate.kind", $"Unknown operation kind '{gate.Kind}'.");
            }

            if (gate.Target is not null)
            {
                ValidateTarget(gate.Target, $"{path}.healthGate.target", errors);
            }

            if (gateKind is not null)
            {
                BindParameters(gateKind, gate.Parameters, $"{path}.healthGate.parameters", resolver, errors);
            }

            if (gate.TimeoutSeconds is < 1 or > 86_400)
            {
                Add(errors, $"{path}.healthGate.timeoutSeconds", "timeoutSeconds must be between 1 and 86400.");
            }
        }

        if (step.OnFailure is { } onFailure)
        {
            if (!OnFailureValues.Contains(onFailure))
            {
                Add(errors, $"{path}.onFailure", "onFailure must be abort, continue or rollback.");
            }
            else if (onFailure == "rollback" && phase != "steps")
            {
                Add(errors, $"{path}.onFailure", "Only main steps may roll back; use abort or continue here.");
            }
            else if (onFailure == "rollback" && !hasRollback)
            {
                Add(errors, $"{path}.onFailure", "onFailure is rollback but the runbook has no rollback steps.");
            }
        }

        if (step.TimeoutSeconds is < 1 or > 86_400)
        {
            Add(errors, $"{path}.timeoutSeconds", "timeoutSeconds must be between 1 and 86400.");
        }

        if (step.Priority is < 0 or > 100)
        {
            Add(errors, $"{path}.priority", "priority must be between 0 and 100.");
        }
    }

    private static void BindParameters(OperationKind kind, JsonElement? raw, string path, RunbookReferences.Resolver resolver, Dictionary<string, string[]> errors)
    {
        if (raw is not { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } element)
        {
            element = JsonDocument.Parse("{}").RootElement;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            Add(errors, path, "Parameters must be a JSON object.");
            return;
        }

        var referenceErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var placeholders = new HashSet<string>(StringComparer.Ordinal);
        var resolved = RunbookReferences.Substitute(element, path, resolver, referenceErrors, placeholders);
        foreach (var (field, messages) in referenceErrors)
        {
            foreach (var message in messages)
            {
                Add(errors, field, message);
            }
        }

        if (referenceErrors.Count > 0)
        {
            return;
        }

        using var document = JsonDocument.Parse(resolved!.ToJsonString());
        var binding = ParameterBinder.Bind(kind, document.RootElement, path);
        foreach (var (field, messages) in binding.Errors)
        {
            // A value known only at run time is checked then, not against its placeholder.
            if (placeholders.Any(p => field == p || field.StartsWith(p + ".", StringComparison.Ordinal) || field.StartsWith(p + "[", StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var message in messages)
            {
                Add(errors, field, message);
            }
        }
    }

    private static RunbookReferences.Resolver SaveTimeResolver(
        string? self, IReadOnlyDictionary<string, RunbookParameter> parameters, IReadOnlyDictionary<string, string> positions, IReadOnlySet<string> visible) =>
        (RunbookReference reference, out JsonNode? value, out string? error, out bool placeholder) =>
        {
            value = null;
            error = null;
            placeholder = false;
            switch (reference.Kind)
            {
                case RunbookReferenceKind.Parameter:
                    if (!parameters.TryGetValue(reference.Name!, out var parameter) || parameter is null)
                    {
                        error = $"unknown reference {reference.Text}: the runbook declares no parameter '{reference.Name}'.";
                        return false;
                    }

                    if (parameter.Default is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } fallback)
                    {
                        value = JsonNode.Parse(fallback.GetRawText());
                        return true;
                    }

                    placeholder = true;
                    value = Placeholder(parameter);
                    return true;
                case RunbookReferenceKind.StepResult or RunbookReferenceKind.StepStatus or RunbookReferenceKind.Invalid when reference.Name is { } step:
                    if (step == self)
                    {
                        error = $"invalid reference {reference.Text}: a step cannot reference itself.";
                        return false;
                    }

                    if (!positions.ContainsKey(step))
                    {
                        error = $"unknown reference steps.{step}: no step has that name.";
                        return false;
                    }

                    if (!visible.Contains(step))
                    {
                        error = $"invalid reference {reference.Text}: {positions[step]} runs later; a step may only reference earlier steps.";
                        return false;
                    }

                    if (reference.Kind == RunbookReferenceKind.Invalid)
                    {
                        error = $"invalid reference {reference.Text}: use steps.{step}.result.<path> or steps.{step}.status.";
                        return false;
                    }

                    placeholder = true;
                    value = JsonValue.Create(reference.Kind == RunbookReferenceKind.StepStatus ? "succeeded" : "placeholder");
                    return true;
                case RunbookReferenceKind.RunId or RunbookReferenceKind.RunRequestedBy:
                    placeholder = true;
                    value = JsonValue.Create(reference.Kind == RunbookReferenceKind.RunId ? Guid.Empty.ToString() : "someone");
                    return true;
                default:
                    error = $"unknown reference {reference.Text}: use params.<name>, steps.<step>.result.<path>, steps.<step>.status, run.id or run.requestedBy.";
                    return false;
            }
        };

    private static JsonNode? Placeholder(RunbookParameter parameter)
    {
        if (parameter.Enum is { Count: > 0 } values)
        {
            return JsonNode.Parse(values[0].GetRawText());
        }

        return parameter.Type switch
        {
            "integer" => JsonValue.Create((long)Math.Ceiling(parameter.Minimum ?? Math.Min(1, parameter.Maximum ?? 1))),
            "number" => JsonValue.Create(parameter.Minimum ?? Math.Min(1, parameter.Maximum ?? 1)),
            "boolean" => JsonValue.Create(true),
            _ => JsonValue.Create("placeholder"),
        };
    }

    private static void ValidateTarget(RunbookTarget target, string path, Dictionary<string, string[]> errors)
    {
        var forms = (target.AgentIds is not null ? 1 : 0) + (target.Labels is not null ? 1 : 0) + (target.All is not null ? 1 : 0);
        if (forms != 1)
        {
            Add(errors, path, "Give exactly one of agentIds, labels or all.");
            return;
        }

        if (target.AgentIds is { } ids && (ids.Count is 0 or > 1000 || ids.Distinct().Count() != ids.Count))
        {
            Add(errors, $"{path}.agentIds", "List 1–1000 distinct agent ids.");
        }

        if (target.Labels is { } labels && (labels.Count is 0 or > 20 || labels.Any(l => l.Key.Length is 0 or > 63 || l.Value is null || l.Value.Length > 255)))
        {
            Add(errors, $"{path}.labels", "1–20 labels; keys of 1–63 characters, values of at most 255; use all for every agent.");
        }

        if (target.All is false)
        {
            Add(errors, $"{path}.all", "all must be true when given.");
        }
    }

    private static bool IsValidRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Add(Dictionary<string, string[]> errors, string path, string message) =>
        errors[path] = errors.TryGetValue(path, out var existing) ? (existing.Contains(message) ? existing : [.. existing, message]) : [message];

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,62}$")]
    private static partial Regex StepName();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,62}$")]
    private static partial Regex ParameterName();

    [GeneratedRegex("\\$\\{[^{}]*\\}")]
    private static partial Regex LockReference();

    [GeneratedRegex("^[A-Za-z0-9._:/-]*$")]
    private static partial Regex LockLiteral();
}
