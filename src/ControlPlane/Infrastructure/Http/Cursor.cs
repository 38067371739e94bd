using System.Buffers.Text;
using System.Text;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Opaque keyset cursors: the last key of a page, base64url-encoded (RFC 4648 §5).</summary>
internal static class Cursor
{
    public static string Encode(string key) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    /// <summary>Decodes a cursor; false when it is not one this API produced.</summary>
    public static bool TryDecode(string? cursor, out string key)
    {
        key = string.Empty;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 200)
        {
            return false;
        }

        try
        {
            key = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
