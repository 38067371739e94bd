using System.Text;
using System.Text.RegularExpressions;
using Ops.Agent.Policy;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>logs.tail</c> (seed 003's <c>logs --tail=100 | grep -i error</c>): the last <c>lines</c>
/// lines (default 100) of a file under the read or write roots (<see cref="PathPolicy"/>), kept
/// when they match <c>pattern</c> (a .NET regular expression, <c>ignoreCase</c> like
/// <c>grep -i</c>, one second per line at most), printed to stdout. Like the runbook, the filter
/// applies to those last lines. The file is read backwards from its end in 64 KiB blocks, never
/// whole: at most <see cref="MaxScanBytes"/> are read, and a line longer than that is cut.
/// Result <c>{path, linesReturned, matched, truncated}</c>: matched = lines that matched the
/// pattern (null without one), truncated = the file has lines before those read.
/// </summary>
internal sealed class LogsTailExecutor(PathPolicy paths) : IOperationExecutor
{
    /// <summary>Default number of lines.</summary>
    public const int DefaultLines = 100;

    /// <summary>Most bytes read from the end of the file: 64 MiB.</summary>
    public const int MaxScanBytes = 64 * 1024 * 1024;

    private const int BlockSize = 64 * 1024;

    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.LogsTail.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (LogsTailParameters)job.Parameters;
        if (!paths.TryResolveRead(parameters.Path, out var path, out var refusal))
        {
            return ExecutorResult.Failure(refusal);
        }

        if (!File.Exists(path))
        {
            return ExecutorResult.Failure(Directory.Exists(path) ? $"'{parameters.Path}' is a directory, not a file" : $"'{parameters.Path}' does not exist");
        }

        Regex? filter = null;
        if (parameters.Pattern is { Length: > 0 } pattern)
        {
            var options = RegexOptions.CultureInvariant | (parameters.IgnoreCase == true ? RegexOptions.IgnoreCase : RegexOptions.None);
            filter = new Regex(pattern, options, MatchTimeout);
        }

        var wanted = parameters.Lines ?? DefaultLines;
        List<string> lines;
        bool truncated;
        try
        {
            (lines, truncated) = await ReadLastLinesAsync(path, wanted, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ExecutorResult.Failure($"cannot read '{parameters.Path}': {ex.Message}");
        }

        int? matched = null;
        if (filter is not null)
        {
            try
            {
                lines = lines.Where(line => filter.IsMatch(line)).ToList();
            }
            catch (RegexMatchTimeoutException)
            {
                return ExecutorResult.Failure($"pattern '{parameters.Pattern}' took longer than {MatchTimeout.TotalSeconds} s on one line");
            }

            matched = lines.Count;
        }

        if (lines.Count > 0)
        {
            job.Output.WriteLines(OutputStream.Stdout, string.Join('\n', lines));
        }

        return ExecutorResult.Success(new TailResult(parameters.Path, lines.Count, matched, truncated));
    }

    /// <summary>Reads the last <paramref name="count"/> lines, backwards in blocks; truncated = lines exist before them.</summary>
    public static async Task<(List<string> Lines, bool Truncated)> ReadLastLinesAsync(string path, int count, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: true);
        var end = file.Length;
        var position = end;
        var newlines = 0;
        var blocks = new LinkedList<byte[]>();
        var skipFinalNewline = true;
        while (position > 0 && newlines <= count && end - position < MaxScanBytes)
        {
            var size = (int)Math.Min(BlockSize, position);
            position -= size;
            var block = new byte[size];
            file.Position = position;
            await file.ReadExactlyAsync(block, cancellationToken).ConfigureAwait(false);
            var span = block.AsSpan();
            if (skipFinalNewline && position + size == end && span.Length > 0 && span[^1] == (byte)'\n')
            {
                span = span[..^1]; // the newline ending the last line does not start another
            }

            skipFinalNewline = false;
            newlines += span.Count((byte)'\n');
            blocks.AddFirst(block);
        }

        var text = Encoding.UTF8.GetString(blocks.SelectMany(b => b).ToArray());
        if (text.EndsWith('\n'))
        {
            text = text[..^1];
        }

        var all = text.Split('\n');
        var startsMidLine = position > 0;
        var available = startsMidLine ? all.Length - 1 : all.Length;
        var take = Math.Min(count, available);
        var lines = all.Skip(all.Length - take).Select(l => l.TrimEnd('\r')).ToList();
        if (text.Length == 0)
        {
            lines.Clear();
        }

        return (lines, available > take || startsMidLine);
    }

    internal sealed record TailResult(string Path, int LinesReturned, int? Matched, bool Truncated);
}
