using Microsoft.Extensions.Configuration;

namespace Ops.Agent.Configuration;

/// <summary>Adds the agent's configuration sources on top of the host defaults.</summary>
internal static class AgentConfigurationExtensions
{
    /// <summary>Environment variable naming an optional JSON configuration file (like <c>--config</c>).</summary>
    public const string ConfigFileVariable = "OPS_AGENT_CONFIG";

    /// <summary>Prefix of the agent's environment variables, e.g. <c>OPS_AGENT_Agent__ControlPlaneUrl</c>.</summary>
    public const string EnvironmentPrefix = "OPS_AGENT_";

    /// <summary>
    /// Adds, in increasing precedence after the host's <c>appsettings.json</c>: the JSON file named
    /// by <c>--config &lt;path&gt;</c> (or <c>--config=&lt;path&gt;</c>, else <c>OPS_AGENT_CONFIG</c>),
    /// the <c>OPS_AGENT_</c> environment variables, and the command line again so it wins.
    /// </summary>
    /// <param name="configuration">The host's configuration manager.</param>
    /// <param name="args">The command line.</param>
    /// <exception cref="AgentConfigurationException">The file is missing or is not valid JSON.</exception>
    public static IConfigurationManager AddOpsAgentConfiguration(this IConfigurationManager configuration, string[] args)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(args);

        var path = FindConfigPath(args) ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        if (!string.IsNullOrWhiteSpace(path))
        {
            var fullPath = Path.GetFullPath(path);
            if (!File.Exists(fullPath))
            {
                throw new AgentConfigurationException($"Configuration file '{fullPath}' does not exist.");
            }

            try
            {
                configuration.AddJsonFile(fullPath, optional: false, reloadOnChange: false);
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
            {
                throw new AgentConfigurationException($"Configuration file '{fullPath}' cannot be read: {ex.Message}", ex);
            }
        }

        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine(args);
        return configuration;
    }

    private static string? FindConfigPath(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }

        return null;
    }
}
