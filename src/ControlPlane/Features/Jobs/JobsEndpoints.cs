using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Ops.ControlPlane.Features.Dispatch;
using Ops.ControlPlane.Infrastructure.Auth;

using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.Jobs;

/// <summary><c>/api/v1/jobs</c> (DESIGN.md §7): one job, and its output read by <c>afterSeq</c>.</summary>
internal static class JobsEndpoints
{
    public static RouteGroupBuilder MapJobsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/jobs")
            .WithTags("Jobs")
            .RequireAuthorization(Roles.Viewer);

        group.MapGet("/{id:guid}", GetJob)
            .WithName(nameof(GetJob))
            .WithSummary("Get one job: agent, status, attempt, exit code, result, error, times.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        group.MapGet("/{id:guid}/output", GetJobOutput)
            .WithName(nameof(GetJobOutput))
            .WithSummary("Read a job's output after a sequence number (afterSeq, default 0), up to limit chunks (default 500).")
            .WithDescription("With `Accept: text/event-stream` the response follows the output live as server-sent events: an `open` event with the job's status, then `chunk` events (id = seq, data = the chunk) until the job ends, then one `end` event with the job's status. `Last-Event-ID` resumes after that seq.")
            .Produces<JobOutputResponse>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        return group;
    }

    public static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetJob(Guid id, JobStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } job
            ? TypedResults.Ok(job)
            : ApiProblems.NotFound($"job {id}");

    public static async Task<Results<Ok<JobOutputResponse>, ServerSentEventsResult<object>, ValidationProblem, ProblemHttpResult>> GetJobOutput(
        Guid id, long? afterSeq, int? limit, HttpRequest request, JobStore store, JobOutputSignals signals, CancellationToken cancellationToken)
    {
        if (long.TryParse(request.Headers["Last-Event-ID"], NumberStyles.None, CultureInfo.InvariantCulture, out var lastEventId))
        {
            afterSeq ??= lastEventId;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (afterSeq < 0)
        {
            errors["afterSeq"] = ["afterSeq must be 0 or more."];
        }

        if (limit is < 1 or > 5000)
        {
            errors["limit"] = ["limit must be between 1 and 5000."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var wantsStream = request.Headers.Accept.Any(a => a is not null && a.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
        if (wantsStream)
        {
            return await store.GetAsync(id, cancellationToken) is { } job
                ? TypedResults.ServerSentEvents(FollowAsync(job, afterSeq ?? 0, store, signals, cancellationToken))
                : ApiProblems.NotFound($"job {id}");
        }

        return await store.GetOutputAsync(id, afterSeq ?? 0, limit ?? 500, cancellationToken) is { } output
            ? TypedResults.Ok(output)
            : ApiProblems.NotFound($"job {id}");
    }

    /// <summary>
    /// Streams chunks as they are stored, woken by <see cref="JobOutputSignals"/> on this node and
    /// re-reading at least every second (output appended through another replica), until the
    /// job has ended and every chunk was sent; then one <c>end</c> event.
    /// </summary>
    private static async IAsyncEnumerable<SseItem<object>> FollowAsync(
        JobResponse current, long afterSeq, JobStore store, JobOutputSignals signals, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = current.Id;
        var seq = afterSeq;
        using var following = signals.Follow(id);

        // An opening event sends the response headers at once, so a client sees the stream is live before any output.
        yield return new SseItem<object>(new { jobId = id, status = current.Status, afterSeq }, "open");
        while (!cancellationToken.IsCancellationRequested)
        {
            var signal = signals.Subscribe(id);
            var page = await store.GetOutputAsync(id, seq, 500, cancellationToken);
            if (page is null)
            {
                yield break;
            }

            foreach (var chunk in page.Chunks)
            {
                yield return new SseItem<object>(chunk, "chunk") { EventId = chunk.Seq.ToString(CultureInfo.InvariantCulture) };
            }

            seq = page.LastSeq;
            if (page.Complete)
            {
                var job = await store.GetAsync(id, cancellationToken);
                yield return new SseItem<object>(new { status = job?.Status, truncated = page.Truncated, exitCode = job?.ExitCode }, "end");
                yield break;
            }

            if (page.Chunks.Count == 0)
            {
                try
                {
                    await signal.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (TimeoutException)
                {
                }
            }
        }
    }
}
