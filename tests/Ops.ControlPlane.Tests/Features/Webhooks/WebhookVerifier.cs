using System.Security.Cryptography;
using System.Text;

namespace Ops.ControlPlane.Tests.Features.Webhooks;

/// <summary>A receiver's verification, written from the Standard Webhooks specification, independent of the control plane's code.</summary>
internal static class WebhookVerifier
{
    public static bool Verify(string secret, string id, string timestamp, string body, string signatureHeader)
    {
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
        // The header may carry several space-separated signatures (key rotation): any one matching is enough.
        return signatureHeader.Split(' ').Any(s => s == $"v1,{expected}");
    }
}
