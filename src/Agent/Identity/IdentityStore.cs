using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Hosting;
using Ops.Agent.Json;

namespace Ops.Agent.Identity;

/// <summary>
/// Reads and writes <c>identity.json</c> in the state directory. The directory is created with
/// mode 0700; the file is written atomically (a temporary file created with mode 0600, flushed,
/// then renamed over the old one) so a crash never leaves a half-written identity.
/// </summary>
internal sealed class IdentityStore(IOptions<AgentOptions> options, ILogger<IdentityStore> logger)
{
    /// <summary>The identity file's name inside the state directory.</summary>
    public const string FileName = "identity.json";

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The full path of <c>identity.json</c>.</summary>
    public string FilePath => Path.Combine(options.Value.StateDirectory, FileName);

    /// <summary>Creates the state directory (mode 0700) if missing and checks that it is writable.</summary>
    /// <exception cref="AgentFatalException">The directory cannot be created or written (exit code 2).</exception>
    public void EnsureStateDirectory()
    {
        var directory = options.Value.StateDirectory;
        try
        {
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, DirectoryMode);
                IdentityLog.StateDirectoryCreated(logger, directory);
            }

            var probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}");
            using (new FileStream(probe, new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, UnixCreateMode = FileMode }))
            {
            }

            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AgentFatalException(
                AgentExitCodes.Configuration,
                $"The state directory '{directory}' (Agent:StateDirectory) is not writable: {ex.Message}",
                ex);
        }
    }

    /// <summary>Loads the stored identity, or returns null when there is none yet.</summary>
    /// <exception cref="AgentFatalException">The file exists but cannot be read or parsed (exit code 2).</exception>
    public AgentIdentity? Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & ~FileMode) != 0)
            {
                IdentityLog.LooseFileMode(logger, path, Convert.ToString((int)mode, 8));
            }

            var identity = JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentJsonContext.Default.AgentIdentity);
            if (identity is null || string.IsNullOrEmpty(identity.AgentId) || string.IsNullOrEmpty(identity.AgentToken))
            {
                throw new JsonException("agentId and agentToken are required.");
            }

            return identity;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new AgentFatalException(
                AgentExitCodes.Configuration,
                $"The identity file '{path}' cannot be read ({ex.Message}). Restore it, or delete it and start again with an enrollment token.",
                ex);
        }
    }

    /// <summary>Writes <paramref name="identity"/> atomically with mode 0600.</summary>
    /// <param name="identity">The identity to store.</param>
    /// <exception cref="AgentFatalException">The file cannot be written (exit code 2).</exception>
    public void Save(AgentIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var path = FilePath;
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = System.IO.FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = FileMode,
            }))
            {
                JsonSerializer.Serialize(stream, identity, AgentJsonContext.Default.AgentIdentity);
                stream.Flush(flushToDisk: true);
            }

            File.SetUnixFileMode(temporary, FileMode);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new AgentFatalException(AgentExitCodes.Configuration, $"Cannot write the identity file '{path}': {ex.Message}", ex);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a stale temporary file is harmless and overwritten next time.
        }
    }
}
