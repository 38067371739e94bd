using System.Buffers.Text;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>
/// Converts between <see cref="Metadata"/> and HTTP header collections (PROTOCOL-HTTP2.md
/// "Custom-Metadata"): reserved headers are skipped, <c>-bin</c> values are base64 (emitted unpadded,
/// accepted padded or not, comma-separated values split), and received values that are not valid
/// metadata are dropped rather than failing the call, as the spec requires.
/// </summary>
internal static class MetadataHeaders
{
    public static Metadata FromAspNetCore(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                AddReceived(metadata, name, value);
            }
        }

        return metadata;
    }

    public static Metadata FromHttpClient(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers.NonValidated)
        {
            foreach (var value in values)
            {
                AddReceived(metadata, name, value);
            }
        }

        return metadata;
    }

    public static string? GetFirst(HttpHeaders headers, string name)
    {
        if (headers.NonValidated.TryGetValues(name, out var values))
        {
            foreach (var value in values)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Appends each non-reserved entry as a response header (or trailer, via <paramref name="append"/>).</summary>
    public static void Write(Metadata? metadata, Action<string, string> append)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var entry in metadata)
        {
            if (GrpcProtocol.IsReservedHeader(entry.Key))
            {
                continue;
            }

            append(entry.Key, ToWireValue(entry));
        }
    }

    public static void AppendHeader(IHeaderDictionary headers, string name, string value) =>
        headers.Append(name, new StringValues(value));

    public static string ToWireValue(Metadata.Entry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes).TrimEnd('=') : entry.Value;

    internal static void AddReceived(Metadata metadata, string name, string? value)
    {
        if (value is null || GrpcProtocol.IsReservedHeader(name) || !IsValidKey(name))
        {
            return;
        }

        var key = name.ToLowerInvariant();
        if (Metadata.IsBinaryKey(key))
        {
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryDecodeBase64(part, out var bytes))
                {
                    metadata.Add(key, bytes);
                }
            }

            return;
        }

        var trimmed = value.Trim();
        foreach (var c in trimmed)
        {
            if (c is < ' ' or > '~')
            {
                return;
            }
        }

        metadata.Add(key, trimmed);
    }

    internal static bool TryDecodeBase64(string value, out byte[] bytes)
    {
        var padded = (value.Length % 4) switch
        {
            2 => value + "==",
            3 => value + "=",
            _ => value,
        };
        bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(padded.Length)];
        if (Convert.TryFromBase64String(padded, bytes, out var written))
        {
            bytes = bytes.AsSpan(0, written).ToArray();
            return true;
        }

        bytes = [];
        return false;
    }

    private static bool IsValidKey(string name)
    {
        foreach (var c in name)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or '-' or '.'))
            {
                return false;
            }
        }

        return name.Length > 0;
    }
}
