using System.Text.Json;
using System.Text.RegularExpressions;
using FluentValidation;
using Ops.Contracts.Json;

namespace Ops.Contracts.Kinds;

/// <summary>
/// Turns a request's raw <c>parameters</c> JSON into the kind's typed parameter record and runs
/// the kind's validator, reporting every problem by field path. Used at submit time by the
/// control plane and again by the agent before it runs a job.
/// </summary>
public static partial class ParameterBinder
{
    static ParameterBinder() => UseCamelCaseDisplayNames();

    /// <summary>
    /// Makes FluentValidation name fields as the JSON API does (<c>'minFreeBytes'</c>, not
    /// <c>'Min Free Bytes'</c>) in every message. Process-wide; idempotent.
    /// </summary>
    public static void UseCamelCaseDisplayNames() =>
        ValidatorOptions.Global.DisplayNameResolver = static (_, member, _) =>
            member is null ? null : char.ToLowerInvariant(member.Name[0]) + member.Name[1..];

    /// <summary>Largest accepted <c>parameters</c> document, in bytes of UTF-8 JSON.</summary>
    public const int MaxParametersBytes = 64 * 1024;

    /// <summary>
    /// Binds <paramref name="parameters"/> (absent, <c>null</c> or a JSON object) to
    /// <paramref name="kind"/>'s record. Unknown members, wrong types and missing required
    /// members are errors, as are the validator's failures. Never throws for bad input.
    /// </summary>
    /// <param name="kind">The kind whose record and validator apply.</param>
    /// <param name="parameters">The raw JSON; <c>null</c> or <see cref="JsonValueKind.Undefined"/> means <c>{}</c>.</param>
    /// <param name="prefix">Prefix of the error keys, <c>parameters</c> by default.</param>
    public static ParameterBindingResult Bind(OperationKind kind, JsonElement? parameters, string prefix = "parameters") =>
        Bind(kind, parameters, static (element, type) => element.Deserialize(type, OpsJson.Strict), prefix);

    /// <summary>
    /// Like <see cref="Bind(OperationKind, JsonElement?, string)"/>, with the records' metadata
    /// from a source-generated <paramref name="context"/> (the Native AOT agent, which has no
    /// reflection-based serialisation). The context must carry <see cref="OpsJson.Strict"/>'s
    /// rules and know every record of the kinds it binds; a kind it does not know is an
    /// <see cref="InvalidOperationException"/>, a defect rather than bad input.
    /// </summary>
    /// <param name="kind">The kind whose record and validator apply.</param>
    /// <param name="parameters">The raw JSON; <c>null</c> or <see cref="JsonValueKind.Undefined"/> means <c>{}</c>.</param>
    /// <param name="context">Source-generated metadata of the parameter records.</param>
    /// <param name="prefix">Prefix of the error keys, <c>parameters</c> by default.</param>
    public static ParameterBindingResult Bind(OperationKind kind, JsonElement? parameters, System.Text.Json.Serialization.JsonSerializerContext context, string prefix = "parameters")
    {
        ArgumentNullException.ThrowIfNull(context);
        return Bind(kind, parameters, (element, type) => element.Deserialize(type, context), prefix);
    }

    private static ParameterBindingResult Bind(OperationKind kind, JsonElement? parameters, Func<JsonElement, Type, object?> deserialize, string prefix)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var element = parameters is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } p
            ? p
            : JsonDocument.Parse("{}").RootElement;

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors[prefix] = ["Parameters must be a JSON object."];
            return new ParameterBindingResult(null, errors);
        }

        if (element.GetRawText().Length > MaxParametersBytes)
        {
            errors[prefix] = [$"Parameters must be at most {MaxParametersBytes} bytes of JSON."];
            return new ParameterBindingResult(null, errors);
        }

        object? value;
        try
        {
            value = deserialize(element, kind.ParametersType);
        }
        catch (JsonException ex)
        {
            var (field, message) = Describe(ex);
            errors[field.Length == 0 ? prefix : $"{prefix}.{field}"] = [message];
            return new ParameterBindingResult(null, errors);
        }

        if (value is null)
        {
            errors[prefix] = ["Parameters must be a JSON object."];
            return new ParameterBindingResult(null, errors);
        }

        var validation = kind.Validator.Validate(new ValidationContext<object>(value));
        foreach (var group in validation.Errors.GroupBy(e => e.PropertyName, StringComparer.Ordinal))
        {
            errors[$"{prefix}.{CamelCasePath(group.Key)}"] = group.Select(e => e.ErrorMessage).ToArray();
        }

        return new ParameterBindingResult(errors.Count == 0 ? value : null, errors);
    }

    private static (string Field, string Message) Describe(JsonException ex)
    {
        var text = ex.Message;
        if (UnmappedMember().Match(text) is { Success: true } unmapped)
        {
            return (unmapped.Groups[1].Value, "Unknown parameter.");
        }

        if (MissingRequired().Match(text) is { Success: true } missing)
        {
            var names = missing.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return (names[0].Trim('\''), "Required parameter is missing.");
        }

        var path = ex.Path ?? "$";
        var field = path == "$" ? string.Empty : path.TrimStart('$').TrimStart('.');
        return (field, "Invalid value or type.");
    }

    private static string CamelCasePath(string propertyPath) =>
        string.Join('.', propertyPath.Split('.').Select(segment => segment.Length == 0
            ? segment
            : char.ToLowerInvariant(segment[0]) + segment[1..]));

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex("missing required properties including: (.+?)\\.( Path|$)")]
    private static partial Regex MissingRequired();
}
