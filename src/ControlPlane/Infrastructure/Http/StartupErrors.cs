using Microsoft.Extensions.Options;
using Ops.ControlPlane.Features.AgentProtocol;
using Ops.ControlPlane.Features.Agents;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// Runs the control plane after checking every options section it binds: invalid configuration
/// (a value that does not convert, or fails its validator) stops the start with exit code 2 and
/// every error listed on stderr, each naming its configuration key (YARP's ConfigValidator; the
/// agent's <c>AgentOptionsValidator</c>).
/// </summary>
internal static class StartupErrors
{
    /// <summary>Exit code for invalid configuration, as the agent uses.</summary>
    public const int ConfigurationExitCode = 2;

    /// <summary>Reads each validated options section once; returns every error.</summary>
    public static IReadOnlyList<string> Validate(IServiceProvider services)
    {
        var errors = new List<string>();
        Check<AgentProtocolOptions>(services, AgentProtocolOptions.Section, errors);
        Check<AgentOptions>(services, AgentOptions.Section, errors);
        return errors.Distinct(StringComparer.Ordinal).ToList();
    }

    public static async Task<int> RunOpsControlPlaneAsync(this WebApplication app)
    {
        if (Validate(app.Services) is { Count: > 0 } errors)
        {
            await Console.Error.WriteLineAsync("ops-control-plane: invalid configuration:");
            foreach (var error in errors)
            {
                await Console.Error.WriteLineAsync("  - " + error);
            }

            return ConfigurationExitCode;
        }

        await app.RunAsync();
        return 0;
    }

    private static void Check<T>(IServiceProvider services, string section, List<string> errors)
        where T : class
    {
        try
        {
            _ = services.GetRequiredService<IOptions<T>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
        {
            // The binder names the key and the value it could not convert ("Failed to convert configuration value 'abc' at 'Agents:HeartbeatIntervalMs' …").
            errors.Add($"{section}: {ex.Message}");
        }
    }
}
