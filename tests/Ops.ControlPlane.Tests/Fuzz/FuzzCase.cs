using System.Text;

namespace Ops.ControlPlane.Tests.Fuzz;

/// <summary>One generated request: reproducible from (seed, family, index).</summary>
internal sealed record FuzzCase(string Family, int Index, HttpMethod Method, string Url, byte[]? Body, string? ContentType, string? IdempotencyKey)
{
    /// <summary>The case as printed on failure: method, URL, headers and a bounded, escaped body preview.</summary>
    public string Describe()
    {
        var text = new StringBuilder().Append(Method).Append(' ').Append(Url.Length > 300 ? Url[..300] + $"…({Url.Length} chars)" : Url);
        if (IdempotencyKey is not null)
        {
            text.Append(" Idempotency-Key: ").Append(Escape(Encoding.UTF8.GetBytes(IdempotencyKey), 100));
        }

        if (Body is not null)
        {
            text.Append(" Content-Type: ").Append(ContentType ?? "(none)").Append(" body (").Append(Body.Length).Append(" bytes): ").Append(Escape(Body, 600));
        }

        return text.ToString();
    }

    private static string Escape(byte[] bytes, int max)
    {
        var text = new StringBuilder();
        foreach (var b in bytes.Take(max))
        {
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return bytes.Length > max ? text.Append('…').ToString() : text.ToString();
    }
}
