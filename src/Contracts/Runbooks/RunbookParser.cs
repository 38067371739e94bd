using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Ops.Contracts.Json;

namespace Ops.Contracts.Runbooks;

/// <summary>
/// Reads a runbook body (JSON, or YAML of the same shape) into a <see cref="RunbookDocument"/>,
/// then checks it with <see cref="RunbookValidator"/>. Bounded: at most
/// <see cref="MaxDocumentBytes"/> of text; unknown members and wrong types are errors naming
/// their path (<c>steps[1].rollout.batchSize</c>). Never throws for bad input.
/// </summary>
public static partial class RunbookParser
{
    /// <summary>Largest runbook text, in UTF-8 bytes (256 KiB).</summary>
    public const int MaxDocumentBytes = 256 * 1024;

    /// <summary>JSON options of stored runbook documents: the API's conventions, nulls left out.</summary>
    public static JsonSerializerOptions DocumentOptions { get; } = CreateDocumentOptions();

    /// <summary>Parses and validates <paramref name="text"/>; <paramref name="yaml"/> selects the YAML reader.</summary>
    public static RunbookParseResult Parse(string text, bool yaml)
    {
        ArgumentNullException.ThrowIfNull(text);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxDocumentBytes)
        {
            errors["body"] = [$"A runbook is at most {MaxDocumentBytes} bytes."];
            return new RunbookParseResult(null, null, null, errors);
        }

        var json = text;
        if (yaml)
        {
            var (converted, error) = YamlToJson.Convert(text);
            if (converted is null)
            {
                errors["body"] = [error!];
                return new RunbookParseResult(null, null, null, errors);
            }

            json = converted;
        }

        RunbookDocument? document;
        try
        {
            using var parsed = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            if (parsed.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = ["A runbook is a JSON object."];
                return new RunbookParseResult(null, null, null, errors);
            }

            document = parsed.RootElement.Deserialize<RunbookDocument>(OpsJson.Strict);
        }
        catch (JsonException ex)
        {
            errors[Describe(ex, out var message)] = [message];
            return new RunbookParseResult(null, null, null, errors);
        }

        if (document is null)
        {
            errors["body"] = ["A runbook is a JSON object."];
            return new RunbookParseResult(null, null, null, errors);
        }

        foreach (var (field, messages) in RunbookValidator.Validate(document))
        {
            errors[field] = messages;
        }

        if (errors.Count > 0)
        {
            return new RunbookParseResult(null, null, null, errors);
        }

        var canonical = JsonSerializer.Serialize(document, DocumentOptions);
        return new RunbookParseResult(document, canonical, SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)), errors);
    }

    private static string Describe(JsonException ex, out string message)
    {
        var path = ToPath(ex.Path);
        if (UnmappedMember().Match(ex.Message) is { Success: true } unmapped)
        {
            message = "Unknown member.";
            var member = unmapped.Groups[1].Value;
            return path == "body" ? member : path.EndsWith(member, StringComparison.Ordinal) ? path : $"{path}.{member}";
        }

        message = ex.Path is null ? "Malformed JSON." : "Invalid value or type.";
        return path;
    }

    /// <summary><c>$.steps[1].rollout</c> → <c>steps[1].rollout</c>; <c>$</c> or none → <c>body</c>.</summary>
    private static string ToPath(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.TrimStart('$').TrimStart('.');

    private static JsonSerializerOptions CreateDocumentOptions()
    {
        var options = OpsJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnmappedMember();
}

/// <summary>
/// A parsed runbook: the document, its canonical JSON (stored, and hashed into
/// <see cref="ContentHash"/> so the same content maps to the same version), or the errors by path.
/// </summary>
public sealed record RunbookParseResult(
    RunbookDocument? Document, string? CanonicalJson, byte[]? ContentHash, IReadOnlyDictionary<string, string[]> Errors)
{
    /// <summary>True when the document parsed and passed every rule.</summary>
    public bool IsValid => Errors.Count == 0 && Document is not null;
}
