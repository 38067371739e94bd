using System.Net;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using Ops.Contracts.Agent.V1;
using Ops.ControlPlane.Features.AgentProtocol;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.AgentProtocol;

/// <summary>
/// The output bound (DESIGN.md §1 "output … bounded in size"; issue 16 item 1): a job with many
/// stored chunks crossing the 1 MiB bound keeps exactly its first and last halves, whatever the
/// number of chunks. Drives <see cref="JobQueue"/> directly, as the AppendOutput RPC does.
/// </summary>
public sealed class OutputTrimmingTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private const long Limit = 1024 * 1024;

    private static OutputChunk Chunk(long seq, int size)
    {
        var text = $"line {seq:D7} ".PadRight(size - 1, 'x') + "\n";
        return new OutputChunk { Seq = seq, Stream = OutputStream.Stdout, Data = ByteString.CopyFrom(Encoding.ASCII.GetBytes(text)), At = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow) };
    }

    /// <summary>The seqs the bound keeps of everything appended: the longest prefix and the longest suffix within half the bound.</summary>
    private static SortedSet<long> Expected(IReadOnlyList<(long Seq, int Size)> appended)
    {
        var kept = new SortedSet<long>();
        if (appended.Sum(c => (long)c.Size) <= Limit)
        {
            kept.UnionWith(appended.Select(c => c.Seq));
            return kept;
        }

        long sum = 0;
        foreach (var (seq, size) in appended)
        {
            if ((sum += size) > Limit / 2)
            {
                break;
            }

            kept.Add(seq);
        }

        sum = 0;
        foreach (var (seq, size) in appended.Reverse())
        {
            if ((sum += size) > Limit / 2)
            {
                break;
            }

            kept.Add(seq);
        }

        return kept;
    }

    private async Task<(Guid AgentId, Guid JobId, int Attempt)> StartJobAsync(JobQueue queue)
    {
        var agentId = await factory.SeedAgentAsync();
        var response = await factory.CreateClient(Roles.Operator).PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { agentId } } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var (jobs, _) = await queue.PullAsync(agentId, 1, CancellationToken.None);
        var job = Assert.Single(jobs);
        Assert.True(await queue.StartAsync(agentId, Guid.Parse(job.JobId), job.Attempt, CancellationToken.None));
        return (agentId, Guid.Parse(job.JobId), job.Attempt);
    }

    private async Task AssertStoredAsync(Guid jobId, IReadOnlyList<(long Seq, int Size)> appended)
    {
        var stored = await factory.QueryAsync<(long Seq, int Length)>(
            "SELECT seq, length(data) FROM job_output WHERE job_id = @jobId ORDER BY seq", new { jobId });
        var storedBytes = stored.Sum(s => (long)s.Length);
        Assert.True(storedBytes <= Limit, $"{storedBytes} bytes stored, over the {Limit}-byte bound");
        var expected = Expected(appended);
        var actual = stored.Select(s => s.Seq).ToList();
        Assert.True(expected.SequenceEqual(actual),
            $"kept {actual.Count} chunks ({actual.FirstOrDefault()}..{actual.LastOrDefault()}), expected {expected.Count} ({expected.Min}..{expected.Max})");
        Assert.Equal(storedBytes, await factory.QueryScalarAsync<long>("SELECT output_bytes FROM jobs WHERE id = @jobId", new { jobId }));
    }

    [Fact]
    public async Task AppendOutput_WhenTenThousandStoredChunksCrossTheBound_KeepsTheFirstAndLastHalvesAndMarksTruncated()
    {
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var (agentId, jobId, attempt) = await StartJobAsync(queue);
        var appended = new List<(long Seq, int Size)>();
        long seq = 0;

        async Task AppendAsync(int count, int size)
        {
            var chunks = Enumerable.Range(0, count).Select(_ => Chunk(++seq, size)).ToList();
            await queue.AppendOutputAsync(agentId, jobId, attempt, chunks, CancellationToken.None);
            appended.AddRange(chunks.Select(c => (c.Seq, c.Data.Length)));
        }

        // 10,000 chunks of 100 bytes: 1,000,000 bytes, just under the bound.
        for (var i = 0; i < 20; i++)
        {
            await AppendAsync(500, 100);
        }

        await AssertStoredAsync(jobId, appended);
        Assert.False(await factory.QueryScalarAsync<bool>("SELECT output_truncated FROM jobs WHERE id = @jobId", new { jobId }));

        // The append that crosses the bound, then a long stream of small and large chunks after it.
        await AppendAsync(100, 1000);
        await AssertStoredAsync(jobId, appended);
        for (var i = 0; i < 30; i++)
        {
            await AppendAsync(200, 100);
            await AppendAsync(1, 20_000);
        }

        await AssertStoredAsync(jobId, appended);

        // A retried call with chunks that were dropped from the middle stores nothing again.
        var resent = Enumerable.Range(6000, 50).Select(s => Chunk(s, 100)).ToList();
        await queue.AppendOutputAsync(agentId, jobId, attempt, resent, CancellationToken.None);
        await AssertStoredAsync(jobId, appended);

        var output = await (await factory.CreateClient(Roles.Viewer).GetAsync($"/api/v1/jobs/{jobId}/output?limit=1000")).ReadJsonAsync();
        Assert.True(output.GetProperty("truncated").GetBoolean());
        var first = output.GetProperty("chunks")[0];
        Assert.Equal(1, first.GetProperty("seq").GetInt64());
        Assert.StartsWith("line 0000001 ", first.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(seq, await factory.QueryScalarAsync<long>("SELECT max(seq) FROM job_output WHERE job_id = @jobId", new { jobId }));
    }

    [Fact]
    public async Task AppendOutput_WhenOneChunkCrossesTheBoundOfAFreshJob_KeepsHeadAndTail()
    {
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var (agentId, jobId, attempt) = await StartJobAsync(queue);
        var chunks = Enumerable.Range(1, 40).Select(s => Chunk(s, 64 * 1024)).ToList();

        foreach (var batch in chunks.Chunk(3))
        {
            await queue.AppendOutputAsync(agentId, jobId, attempt, batch, CancellationToken.None);
        }

        await AssertStoredAsync(jobId, chunks.Select(c => (c.Seq, c.Data.Length)).ToList());
        Assert.True(await factory.QueryScalarAsync<bool>("SELECT output_truncated FROM jobs WHERE id = @jobId", new { jobId }));
    }

    [Fact]
    public async Task AppendOutput_OnOutputStoredBeforeTheMigration_RebuildsTheHeadFromTheStoredChunks()
    {
        var queue = factory.Services.GetRequiredService<JobQueue>();
        var (agentId, jobId, attempt) = await StartJobAsync(queue);
        var appended = new List<(long Seq, int Size)>();
        long seq = 0;
        async Task AppendAsync(int count, int size)
        {
            var chunks = Enumerable.Range(0, count).Select(_ => Chunk(++seq, size)).ToList();
            await queue.AppendOutputAsync(agentId, jobId, attempt, chunks, CancellationToken.None);
            appended.AddRange(chunks.Select(c => (c.Seq, c.Data.Length)));
        }

        await AppendAsync(6000, 100);
        await AppendAsync(6000, 100); // over the bound: trimmed already
        // As migration 0050 leaves a job that had output: bookkeeping unknown for this attempt.
        await factory.QueryScalarAsync<int>(
            """
            WITH j AS (UPDATE jobs SET output_attempt = -attempt, output_head_seq = 0, output_head_bytes = 0, output_head_closed = false
                        WHERE id = @jobId RETURNING 1)
            SELECT count(*)::int FROM j
            """, new { jobId });

        await AppendAsync(3000, 100);

        await AssertStoredAsync(jobId, appended);
    }
}
