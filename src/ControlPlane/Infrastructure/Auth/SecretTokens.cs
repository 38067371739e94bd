using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Ops.ControlPlane.Infrastructure.Auth;

/// <summary>
/// Bearer secrets for enrollment and agents: 32 random bytes, base64url, with a readable prefix
/// (<c>opsenr_</c>, <c>opsagt_</c>). Only their SHA-256 is stored (DESIGN.md §9).
/// </summary>
internal static class SecretTokens
{
    public const string EnrollmentPrefix = "opsenr_";
    public const string AgentPrefix = "opsagt_";

    public static string Generate(string prefix) => prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
