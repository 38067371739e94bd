using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ops.ControlPlane.Tests.Fuzz;

/// <summary>
/// Mutates a valid JSON request body into hostile variants, writing the text itself so it can
/// produce what a serializer never would: duplicate keys, NUL and lone surrogate escapes, raw
/// invalid UTF-8, 1 MB strings, 10,000-deep nesting, wrong types, truncated or non-JSON bodies.
/// </summary>
internal sealed class JsonFuzzer(Random random)
{
    /// <summary>String literals as they appear in JSON text (already quoted and escaped).</summary>
    private static readonly string[] StringLiterals =
    [
        "\"\"", "\"a\"", "\"\\u0000\"", "\"abc\\u0000def\"", "\"\\ud800\"", "\"\\udc00x\"", "\"x\\ud800\\ud800\"",
        "\"\\ud83d\\ude00\"", "\"é\"", "\"ошибка\"", "\"${params.x}\"", "\"../../etc/passwd\"", "\"/\"", "\"/var/log/app.log\"",
        "\"host.disk\"", "\"agent.ping\"", "\"' OR 1=1 --\"", "\"%00\"", "\"\\\\\"", "\"\\u0001\\u001f\"", "\"\\t\\n\\r\"",
        "\"null\"", "\"true\"", "\"-1\"", "\"1e999\"", "\"00000000-0000-0000-0000-000000000000\"", "\"not-a-uuid\"",
        "\"demo\"", "\"demo.pipeline\"", "\"http://127.0.0.1:1/\"", "\"*\"", "\"(unclosed\"", "\"\\u202e\"", "\"\\uffff\"",
    ];

    private static readonly string[] NumberLiterals =
    [
        "0", "-0", "1", "-1", "0.5", "1e3", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "1e1000000", "-1e1000000", "1e-400", "123456789012345678901234567890",
        "3.14159", "86400", "86401", "100", "101",
    ];

    /// <summary>Turns <paramref name="template"/> into one hostile body; the content type is usually JSON.</summary>
    public (byte[] Body, string ContentType) Mutate(JsonNode template)
    {
        var contentType = random.Next(40) switch
        {
            0 => "text/plain",
            1 => "application/x-www-form-urlencoded",
            2 => "application/json; charset=iso-8859-1",
            3 => "application/merge-patch+json",
            _ => "application/json",
        };

        var roll = random.Next(100);
        var output = new List<byte>();
        if (roll < 3)
        {
            return (RandomBytes(random.Next(0, 200)), contentType);
        }

        if (roll < 5)
        {
            return (Encoding.UTF8.GetBytes(random.Next(4) switch { 0 => "", 1 => "null", 2 => "[]", _ => "123" }), contentType);
        }

        if (roll < 7)
        {
            Write(output, Deep(10_000), 0, mutationRate: 0);
            return (output.ToArray(), contentType);
        }

        var rate = random.Next(4) switch { 0 => 0.02, 1 => 0.08, 2 => 0.2, _ => 0.4 };
        Write(output, template, 0, rate);
        var body = output.ToArray();
        if (roll < 12 && body.Length > 2)
        {
            body = body[..random.Next(1, body.Length)]; // truncated
        }
        else if (roll < 16 && body.Length > 2)
        {
            var at = random.Next(1, body.Length - 1);
            body = [.. body[..at], .. RandomBytes(random.Next(1, 4)), .. body[at..]]; // raw bytes spliced in, often inside a string
        }

        return (body, contentType);
    }

    private JsonNode Deep(int depth)
    {
        var open = random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        return JsonValue.Create(new RawJson(string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth))))!;
    }

    private void Write(List<byte> output, JsonNode? node, int depth, double mutationRate)
    {
        if (random.NextDouble() < mutationRate)
        {
            WriteRandom(output, depth);
            return;
        }

        switch (node)
        {
            case null:
                Append(output, "null");
                break;
            case JsonObject obj:
                output.Add((byte)'{');
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (random.NextDouble() < mutationRate / 2)
                    {
                        continue; // member dropped
                    }

                    var repeats = random.NextDouble() < mutationRate / 2 ? 2 : 1; // duplicate key
                    for (var r = 0; r < repeats; r++)
                    {
                        Separator(output, ref first);
                        WriteKey(output, key, mutationRate);
                        Write(output, value, depth + 1, mutationRate);
                    }
                }

                if (random.NextDouble() < mutationRate / 2)
                {
                    Separator(output, ref first);
                    Append(output, Pick(StringLiterals));
                    output.Add((byte)':');
                    WriteRandom(output, depth + 1);
                }

                output.Add((byte)'}');
                break;
            case JsonArray array:
                output.Add((byte)'[');
                var firstItem = true;
                foreach (var item in array)
                {
                    Separator(output, ref firstItem);
                    Write(output, item, depth + 1, mutationRate);
                }

                if (random.NextDouble() < mutationRate / 2)
                {
                    Separator(output, ref firstItem);
                    WriteRandom(output, depth + 1);
                }

                output.Add((byte)']');
                break;
            case JsonValue value when value.TryGetValue<RawJson>(out var raw):
                Append(output, raw.Text);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && random.NextDouble() < mutationRate:
                WriteString(output, value.GetValue<string>());
                break;
            default:
                Append(output, node.ToJsonString());
                break;
        }
    }

    private void WriteKey(List<byte> output, string key, double mutationRate)
    {
        if (random.NextDouble() < mutationRate / 4)
        {
            Append(output, Pick(StringLiterals));
        }
        else
        {
            Append(output, JsonSerializer.Serialize(random.NextDouble() < mutationRate / 4 ? key.ToUpperInvariant() : key));
        }

        output.Add((byte)':');
    }

    /// <summary>A string value, possibly with a hostile piece spliced into the valid one.</summary>
    private void WriteString(List<byte> output, string valid)
    {
        var quoted = JsonSerializer.Serialize(valid);
        var inner = quoted[1..^1];
        switch (random.Next(6))
        {
            case 0:
                Append(output, "\"" + inner + "\\u0000\"");
                break;
            case 1:
                Append(output, "\"" + inner + "\\ud800\"");
                break;
            case 2:
                Append(output, "\"" + inner);
                output.AddRange(RandomInvalidUtf8());
                output.Add((byte)'"');
                break;
            case 3:
                Append(output, "\"" + inner + new string('x', random.Next(10) == 0 ? 1_000_000 : 5_000) + "\"");
                break;
            default:
                Append(output, Pick(StringLiterals));
                break;
        }
    }

    private void WriteRandom(List<byte> output, int depth)
    {
        switch (random.Next(depth > 6 ? 4 : 7))
        {
            case 0:
                Append(output, random.Next(3) switch { 0 => "null", 1 => "true", _ => "false" });
                break;
            case 1:
                Append(output, Pick(NumberLiterals));
                break;
            case 2:
                WriteString(output, "v");
                break;
            case 3:
                Append(output, Pick(StringLiterals));
                break;
            case 4:
                output.Add((byte)'[');
                var first = true;
                for (var i = random.Next(4); i > 0; i--)
                {
                    Separator(output, ref first);
                    WriteRandom(output, depth + 1);
                }

                output.Add((byte)']');
                break;
            case 5:
                output.Add((byte)'{');
                var firstMember = true;
                for (var i = random.Next(4); i > 0; i--)
                {
                    Separator(output, ref firstMember);
                    Append(output, Pick(StringLiterals));
                    output.Add((byte)':');
                    WriteRandom(output, depth + 1);
                }

                output.Add((byte)'}');
                break;
            default:
                if (random.Next(20) == 0)
                {
                    Write(output, Deep(random.Next(2) == 0 ? 10_000 : 70), depth, 0);
                }
                else
                {
                    Append(output, Pick(NumberLiterals));
                }

                break;
        }
    }

    private byte[] RandomInvalidUtf8() => random.Next(5) switch
    {
        0 => [0xFF],
        1 => [0xC3, 0x28],
        2 => [0xED, 0xA0, 0x80], // an encoded surrogate
        3 => [0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
        _ => [0xE2, 0x82],
    };

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A UUID from the seeded generator (reproducible, unlike <see cref="Guid.NewGuid"/>).</summary>
    public Guid RandomGuid() => new(RandomBytes(16));

    private string Pick(string[] values) => values[random.Next(values.Length)];

    private static void Separator(List<byte> output, ref bool first)
    {
        if (!first)
        {
            output.Add((byte)',');
        }

        first = false;
    }

    private static void Append(List<byte> output, string text) => output.AddRange(Encoding.UTF8.GetBytes(text));

    /// <summary>Text written as is.</summary>
    private sealed record RawJson(string Text);

    /// <summary>A query-string or path value from the hostile pool, already percent-encoded where it must be.</summary>
    public string QueryValue() => random.Next(22) switch
    {
        0 => "",
        1 => "-1",
        2 => "0",
        3 => "99999999999999999999",
        4 => "abc",
        5 => "%00",
        6 => "%FF",
        7 => "%ED%A0%80",
        8 => new string('a', random.Next(2) == 0 ? 4_000 : 10_000),
        9 => RandomGuid().ToString(),
        10 => "%",
        11 => "%%32",
        12 => "null",
        13 => "1e3",
        14 => "queued",
        15 => "succeeded,failed",
        16 => Uri.EscapeDataString("' OR 1=1 --"),
        17 => "%C3%28",
        18 => "MjAyNg",
        19 => "1.5",
        20 => random.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture),
        _ => Uri.EscapeDataString("\u0001\t"),
    };
}
