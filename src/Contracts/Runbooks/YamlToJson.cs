using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Ops.Contracts.Runbooks;

/// <summary>
/// Converts one YAML document to JSON with YamlDotNet's event parser, under the YAML 1.2 core
/// schema for plain scalars (null, booleans, integers, floats; everything else a string). Anchors
/// and aliases are refused outright, so an alias bomb ("billion laughs") never expands; nesting
/// is capped at <see cref="MaxDepth"/>. Errors carry the line and column.
/// </summary>
public static partial class YamlToJson
{
    /// <summary>Deepest nesting of mappings and sequences accepted.</summary>
    public const int MaxDepth = 32;

    /// <summary>The JSON text of <paramref name="yaml"/>, or an error message (<c>null</c> JSON).</summary>
    public static (string? Json, string? Error) Convert(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        try
        {
            var parser = new Parser(new StringReader(yaml));
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                parser.Consume<StreamStart>();
                if (parser.Accept<StreamEnd>(out _))
                {
                    return (null, "The YAML document is empty.");
                }

                parser.Consume<DocumentStart>();
                WriteNode(parser, writer, 0);
                parser.Consume<DocumentEnd>();
                if (!parser.Accept<StreamEnd>(out _))
                {
                    return (null, "Send one YAML document, not several.");
                }
            }

            return (Encoding.UTF8.GetString(buffer.ToArray()), null);
        }
        catch (YamlRefusedException ex)
        {
            return (null, ex.Message);
        }
        catch (YamlException ex)
        {
            return (null, $"Invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}");
        }
    }

    private static void WriteNode(IParser parser, Utf8JsonWriter writer, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new YamlRefusedException($"The YAML document nests deeper than {MaxDepth} levels.");
        }

        var current = parser.Current;
        if (current is AnchorAlias alias)
        {
            throw new YamlRefusedException($"YAML aliases are not accepted (line {alias.Start.Line}): they allow exponential expansion (\"billion laughs\"); write the value out.");
        }

        if (current is NodeEvent { Anchor.IsEmpty: false } anchored)
        {
            throw new YamlRefusedException($"YAML anchors are not accepted (line {anchored.Start.Line}): write the value out.");
        }

        switch (current)
        {
            case Scalar scalar:
                parser.MoveNext();
                WriteScalar(scalar, writer);
                break;
            case SequenceStart:
                parser.MoveNext();
                writer.WriteStartArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    WriteNode(parser, writer, depth + 1);
                }

                writer.WriteEndArray();
                break;
            case MappingStart:
                parser.MoveNext();
                writer.WriteStartObject();
                var keys = new HashSet<string>(StringComparer.Ordinal);
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    if (parser.Current is not Scalar key || key.Anchor is { IsEmpty: false })
                    {
                        throw new YamlRefusedException($"Mapping keys must be plain scalars (line {parser.Current?.Start.Line}).");
                    }

                    if (!keys.Add(key.Value))
                    {
                        throw new YamlRefusedException($"Duplicate key '{key.Value}' (line {key.Start.Line}).");
                    }

                    parser.MoveNext();
                    writer.WritePropertyName(key.Value);
                    WriteNode(parser, writer, depth + 1);
                }

                writer.WriteEndObject();
                break;
            default:
                throw new YamlRefusedException($"Unexpected YAML element at line {current?.Start.Line}.");
        }
    }

    private static void WriteScalar(Scalar scalar, Utf8JsonWriter writer)
    {
        var value = scalar.Value;
        if (scalar.Style != ScalarStyle.Plain || !scalar.Tag.IsEmpty)
        {
            writer.WriteStringValue(value);
            return;
        }

        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                writer.WriteNullValue();
                return;
            case "true" or "True" or "TRUE":
                writer.WriteBooleanValue(true);
                return;
            case "false" or "False" or "FALSE":
                writer.WriteBooleanValue(false);
                return;
        }

        if (IntegerPattern().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            writer.WriteNumberValue(integer);
        }
        else if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    private sealed class YamlRefusedException(string message) : Exception(message);
}
