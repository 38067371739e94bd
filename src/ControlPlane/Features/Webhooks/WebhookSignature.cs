using System.Security.Cryptography;
using System.Text;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// The Standard Webhooks signature (standardwebhooks.com, "Signature scheme"): the signed content
/// is <c>{webhook-id}.{webhook-timestamp}.{body}</c>, signed with HMAC-SHA256 under the secret's
/// base64-decoded bytes; the header value is <c>v1,</c> + base64 of the MAC.
/// </summary>
internal static class WebhookSignature
{
    /// <summary>The <c>webhook-signature</c> header value for one attempt.</summary>
    /// <param name="secret">The <c>whsec_…</c> secret.</param>
    /// <param name="messageId">The <c>webhook-id</c>.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c>, Unix seconds.</param>
    /// <param name="body">The exact request body bytes.</param>
    public static string Sign(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{messageId}.{timestamp}."));
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(WebhookSecrets.KeyBytes(secret), content));
    }
}
