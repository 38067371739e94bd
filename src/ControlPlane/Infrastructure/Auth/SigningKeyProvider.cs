using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace Ops.ControlPlane.Infrastructure.Auth;

/// <summary>Resolves the HS256 key: configured <c>Auth:SigningKey</c>, else the key file under <c>$OPS_HOME</c>, created once.</summary>
internal static class SigningKeyProvider
{
    public const string KeyFileName = "jwt-signing.key";

    /// <summary>Returns the symmetric key; creates <c>$OPS_HOME/jwt-signing.key</c> (0600, 64 random bytes, base64) when needed.</summary>
    /// <exception cref="InvalidOperationException">The configured key is shorter than 32 bytes.</exception>
    public static SymmetricSecurityKey Resolve(IConfiguration configuration)
    {
        var configured = configuration[$"{AuthOptions.Section}:{nameof(AuthOptions.SigningKey)}"];
        if (!string.IsNullOrEmpty(configured))
        {
            var bytes = Encoding.UTF8.GetBytes(configured);
            return bytes.Length >= 32
                ? new SymmetricSecurityKey(bytes)
                : throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes (HS256, RFC 7518 §3.2).");
        }

        var path = Path.Combine(OpsHome.Resolve(configuration), KeyFileName);
        if (!File.Exists(path))
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(key);
            }

            File.Move(temp, path, overwrite: false);
        }

        return new SymmetricSecurityKey(Convert.FromBase64String(File.ReadAllText(path).Trim()));
    }
}
