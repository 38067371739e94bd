using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ops.Contracts.Json;

/// <summary>
/// The JSON conventions of the REST API and of job parameters/results (DESIGN.md §7):
/// camelCase names, enums as lower snake strings, ISO 8601 times.
/// </summary>
public static class OpsJson
{
    /// <summary>Options for API bodies and results: lenient about unknown members.</summary>
    public static JsonSerializerOptions Default { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>
    /// Options for operation parameters: like <see cref="Default"/> but unknown members are an
    /// error, so a misspelt parameter is reported instead of silently ignored.
    /// </summary>
    public static JsonSerializerOptions Strict { get; } = CreateStrict();

    /// <summary>Applies the Ops conventions to <paramref name="options"/> and returns it.</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        return options;
    }

    private static JsonSerializerOptions CreateStrict()
    {
        var options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
