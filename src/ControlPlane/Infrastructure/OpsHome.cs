using Microsoft.Extensions.Configuration;

namespace Ops.ControlPlane.Infrastructure;

/// <summary>
/// The control plane's home folder (DESIGN.md §8): configuration key <c>OpsHome</c>, else the
/// <c>OPS_HOME</c> environment variable, else <c>./.ops</c> under the current directory. Holds
/// the embedded cluster (<c>pg/</c>), the generated JWT signing key and <c>admin.token</c>.
/// </summary>
internal static class OpsHome
{
    /// <summary>The absolute home folder, created when missing.</summary>
    public static string Resolve(IConfiguration configuration)
    {
        var configured = configuration["OpsHome"];
        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = Environment.GetEnvironmentVariable("OPS_HOME");
        }

        var home = Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? ".ops" : configured);
        Directory.CreateDirectory(home);
        return home;
    }
}
