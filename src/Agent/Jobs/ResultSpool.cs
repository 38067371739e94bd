using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Contracts.Agent.V1;

namespace Ops.Agent.Jobs;

/// <summary>
/// The result spool: <c>&lt;StateDirectory&gt;/spool/&lt;jobId&gt;-&lt;attempt&gt;.json</c> (directory 0700,
/// files 0600, protobuf JSON of the <c>CompleteRequest</c>). A completion is saved atomically
/// (temporary file, fsync, rename) before Complete is sent and deleted once the control plane has
/// answered (<c>accepted</c> true or false, or the job is unknown to it). On start the agent
/// re-sends every spooled completion: the control plane answers a duplicate of an accepted
/// completion with <c>accepted=true</c> and a stale one with false (DESIGN.md §4), so a result is
/// recorded exactly once however often it is sent. Thread-safe (one file per attempt).
/// </summary>
internal sealed partial class ResultSpool(IOptions<AgentOptions> options, ILogger<ResultSpool> logger)
{
    private const UnixFileMode SpoolFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The spool directory: <c>&lt;StateDirectory&gt;/spool</c>.</summary>
    public string Directory => Path.Combine(options.Value.StateDirectory, "spool");

    /// <summary>Saves <paramref name="completion"/>; a failure is logged and the completion is still sent.</summary>
    /// <returns>True when it is on disk.</returns>
    public bool Save(CompleteRequest completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        var path = PathOf(completion.JobId, completion.Attempt);
        var temporary = path + ".tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory, DirectoryMode);
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = SpoolFileMode,
            }))
            {
                stream.Write(Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(completion)));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            JobsLog.SpoolWriteFailed(logger, completion.JobId, completion.Attempt, ex.Message);
            return false;
        }
    }

    /// <summary>Removes the spooled completion of an attempt, if any.</summary>
    public void Delete(string jobId, int attempt)
    {
        try
        {
            File.Delete(PathOf(jobId, attempt));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            JobsLog.SpoolDeleteFailed(logger, jobId, attempt, ex.Message);
        }
    }

    /// <summary>Every spooled completion, oldest file first; unreadable files are logged and moved aside (<c>.bad</c>).</summary>
    public IReadOnlyList<CompleteRequest> ReadAll()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        var result = new List<CompleteRequest>();
        foreach (var file in new DirectoryInfo(Directory).GetFiles("*.json").OrderBy(f => f.LastWriteTimeUtc))
        {
            try
            {
                result.Add(JsonParser.Default.Parse<CompleteRequest>(File.ReadAllText(file.FullName)));
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or IOException or FormatException)
            {
                JobsLog.SpoolFileUnreadable(logger, file.Name, ex.Message);
                try
                {
                    File.Move(file.FullName, file.FullName + ".bad", overwrite: true);
                }
                catch (IOException)
                {
                    // Left in place; reported again next start.
                }
            }
        }

        return result;
    }

    /// <summary>The file of an attempt; characters other than letters, digits, '-' and '_' in the id become '_'.</summary>
    public string PathOf(string jobId, int attempt) =>
        Path.Combine(Directory, $"{UnsafeFileNameCharacters().Replace(jobId, "_")}-{attempt}.json");

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex UnsafeFileNameCharacters();
}
