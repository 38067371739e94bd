using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Ops.ControlPlane.Infrastructure;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Webhook signing secrets: generated as 32 random bytes, shown once as <c>whsec_</c> + base64
/// (the Standard Webhooks secret format), and stored AES-256-GCM encrypted with a key that lives
/// outside the database (<c>Webhooks:SecretKey</c>, else <c>$OPS_HOME/webhook-secrets.key</c>,
/// created 0600 like the JWT signing key). Someone holding only a database dump cannot sign a
/// delivery. The webhook's name is the associated data, so a ciphertext copied onto another
/// webhook does not decrypt. Stored layout: version byte 1 | nonce (12) | tag (16) | ciphertext.
/// </summary>
internal sealed class WebhookSecrets
{
    public const string KeyFileName = "webhook-secrets.key";
    public const string Prefix = "whsec_";
    private const byte Version = 1;
    private readonly byte[] _key;

    public WebhookSecrets(WebhooksOptions options, IConfiguration configuration)
    {
        _key = !string.IsNullOrEmpty(options.SecretKey) ? Convert.FromBase64String(options.SecretKey) : LoadOrCreateKeyFile(configuration);
    }

    /// <summary>A new secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The raw key bytes of a <c>whsec_…</c> secret (the HMAC key of the signature).</summary>
    public static byte[] KeyBytes(string secret) => Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);

    /// <summary>Encrypts <paramref name="secret"/> for storage on webhook <paramref name="name"/>.</summary>
    public byte[] Encrypt(string name, string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var stored = new byte[1 + 12 + 16 + plain.Length];
        stored[0] = Version;
        var nonce = stored.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plain, stored.AsSpan(29), stored.AsSpan(13, 16), Encoding.UTF8.GetBytes(name));
        return stored;
    }

    /// <summary>Decrypts a stored secret of webhook <paramref name="name"/>.</summary>
    /// <exception cref="CryptographicException">The key is not the one it was encrypted with, or the data was altered.</exception>
    public string Decrypt(string name, byte[] stored)
    {
        if (stored.Length < 29 || stored[0] != Version)
        {
            throw new CryptographicException("Unknown webhook secret format.");
        }

        var plain = new byte[stored.Length - 29];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(stored.AsSpan(1, 12), stored.AsSpan(29), stored.AsSpan(13, 16), plain, Encoding.UTF8.GetBytes(name));
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] LoadOrCreateKeyFile(IConfiguration configuration)
    {
        var path = Path.Combine(OpsHome.Resolve(configuration), KeyFileName);
        if (!File.Exists(path))
        {
            var temp = $"{path}.{Environment.ProcessId}.tmp";
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            }

            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another replica sharing this home created it first: use theirs.
                File.Delete(temp);
            }
        }

        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }
}
