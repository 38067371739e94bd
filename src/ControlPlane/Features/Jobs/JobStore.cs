using System.Text;
using Dapper;
using Npgsql;

using Ops.ControlPlane.Infrastructure.Storage;

namespace Ops.ControlPlane.Features.Jobs;

/// <summary>Reads jobs and their stored output.</summary>
internal sealed class JobStore(NpgsqlDataSource dataSource)
{
    private static readonly string[] StreamNames = ["unspecified", "stdout", "stderr", "system"];

    public async Task<JobResponse?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JobRow>(new CommandDefinition(
            $"SELECT {JobRow.Columns} FROM jobs WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row is null ? null : JobResponse.From(row);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> chunks of the job's current attempt with <c>seq</c> greater
    /// than <paramref name="afterSeq"/>; <c>null</c> when the job does not exist.
    /// </summary>
    public async Task<JobOutputResponse?> GetOutputAsync(Guid id, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var job = await connection.QuerySingleOrDefaultAsync<(int Attempt, string Status, bool OutputTruncated)?>(new CommandDefinition(
            "SELECT attempt, status, output_truncated FROM jobs WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        if (job is not { } j)
        {
            return null;
        }

        var rows = (await connection.QueryAsync<(long Seq, short Stream, byte[] Data, DateTime At)>(new CommandDefinition(
            """
            SELECT seq, stream, data, at FROM job_output
             WHERE job_id = @id AND attempt = @attempt AND seq > @afterSeq
             ORDER BY seq
             LIMIT @limit
            """,
            new { id, attempt = j.Attempt, afterSeq, limit = limit + 1 },
            cancellationToken: cancellationToken))).ToList();
        var more = rows.Count > limit;
        var chunks = rows.Take(limit)
            .Select(r => new OutputChunkResponse(
                r.Seq,
                StreamNames[Math.Clamp((int)r.Stream, 0, StreamNames.Length - 1)],
                Encoding.UTF8.GetString(r.Data),
                DbTime.Utc(r.At)))
            .ToList();
        var terminal = !JobStates.IsUnfinished(j.Status);
        return new JobOutputResponse(chunks, j.OutputTruncated, terminal && !more, chunks.Count > 0 ? chunks[^1].Seq : afterSeq);
    }
}
