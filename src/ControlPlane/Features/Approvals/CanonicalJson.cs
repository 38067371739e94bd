using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ops.Contracts.Json;

namespace Ops.ControlPlane.Features.Approvals;

/// <summary>
/// The canonical JSON form an approval's <c>requestHash</c> is computed over (docs/approvals.md),
/// modelled on RFC 8785 (JSON Canonicalization Scheme):
/// <list type="bullet">
/// <item>no insignificant whitespace;</item>
/// <item>object members sorted by name in ordinal UTF-16 code-unit order (RFC 8785 §3.2.3), at every depth; array order kept;</item>
/// <item>numbers: an integer that fits a signed 64-bit value is written in plain decimal (<c>1.0</c> and <c>1e0</c> become <c>1</c>);
/// any other number as its shortest round-trip double (<c>0.5</c>);</item>
/// <item>strings: UTF-8, escaping only <c>"</c>, <c>\</c> and control characters (System.Text.Json's relaxed encoder);</item>
/// <item><c>null</c> members are kept (an absent field and a <c>null</c> one stay different).</item>
/// </list>
/// The hash is the lowercase hex SHA-256 of those UTF-8 bytes. The same request always gives the same
/// bytes, whatever the key order or spacing of the JSON it came from.
/// </summary>
internal static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The canonical text of <paramref name="value"/>, serialised first with the API's JSON conventions (camelCase, enums as snake strings).</summary>
    public static string Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var element = value is JsonElement e ? e : JsonSerializer.SerializeToElement(value, OpsJson.Default);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, element);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Lowercase hex SHA-256 of the UTF-8 bytes of <paramref name="canonical"/> (64 characters).</summary>
    public static string Hash(string canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Number:
                if (element.TryGetDecimal(out var number) && number == decimal.Truncate(number) && number >= long.MinValue && number <= long.MaxValue)
                {
                    writer.WriteNumberValue((long)number);
                }
                else
                {
                    writer.WriteRawValue(element.GetDouble().ToString("R", CultureInfo.InvariantCulture), skipInputValidation: false);
                }

                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
