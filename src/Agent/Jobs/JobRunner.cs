using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ops.Agent.Configuration;
using Ops.Agent.Connection;
using Ops.Agent.Executors;
using Ops.Agent.Hosting;
using Ops.Agent.Policy;
using Ops.Agent.Redaction;
using Ops.Contracts.Agent;
using Ops.Contracts.Agent.V1;
using Ops.Contracts.Kinds;
using Polly;
using Ops.Agent.Json;

namespace Ops.Agent.Jobs;

/// <summary>
/// Runs job assignments (DESIGN.md §4, §5): Start (drop on <c>proceed=false</c>), local policy and
/// parameter validation, the kind's executor under a token cancelled by the control plane, the
/// deadline or shutdown, output through a <see cref="JobOutputPump"/>, then Complete, retried on
/// transient errors until the control plane answers (accepted, or <c>accepted=false</c> for a
/// stale attempt). FAILED_PRECONDITION / NOT_FOUND on Start or AppendOutput drop the job quietly;
/// UNAUTHENTICATED stops the agent. At most <c>MaxConcurrentJobs</c> executors run at once.
/// </summary>
internal sealed class JobRunner
{
    /// <summary>Exit code reported for a TIMED_OUT job, as <c>timeout(1)</c> does.</summary>
    public const int TimedOutExitCode = 124;

    /// <summary>Exit code reported for a CANCELLED job: 128 + SIGINT, as shells do.</summary>
    public const int CancelledExitCode = 130;

    /// <summary>Largest <c>result_json</c> sent, in UTF-16 characters; larger results are replaced by an error.</summary>
    public const int MaxResultBytes = Ops.Contracts.Agent.AgentProtocolLimits.MaxResultJsonBytes;

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private readonly AgentService.AgentServiceClient client;
    private readonly RunningJobs jobs;
    private readonly AgentOptions options;
    private readonly AgentCapabilities capabilities;
    private readonly IRedactor redactor;
    private readonly ResultSpool spool;
    private readonly Dictionary<string, IOperationExecutor> executors;
    private readonly AgentLifetime lifetime;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<JobRunner> logger;
    private readonly ResiliencePipeline retry;
    private readonly SemaphoreSlim slots;

    /// <summary>Creates the runner.</summary>
    public JobRunner(
        AgentService.AgentServiceClient client,
        RunningJobs jobs,
        IOptions<AgentOptions> options,
        AgentCapabilities capabilities,
        IRedactor redactor,
        ResultSpool spool,
        IEnumerable<IOperationExecutor> executors,
        ReconnectBackoff backoff,
        AgentLifetime lifetime,
        TimeProvider timeProvider,
        ILogger<JobRunner> logger)
    {
        this.client = client;
        this.jobs = jobs;
        this.options = options.Value;
        this.capabilities = capabilities;
        this.redactor = redactor;
        this.spool = spool;
        this.executors = new Dictionary<string, IOperationExecutor>(StringComparer.Ordinal);
        foreach (var executor in executors)
        {
            this.executors[executor.Kind] = executor;
        }

        this.lifetime = lifetime;
        this.timeProvider = timeProvider;
        this.logger = logger;
        retry = backoff.Create("job uplink", RpcErrors.IsTransient);
        slots = new SemaphoreSlim(this.options.MaxConcurrentJobs, this.options.MaxConcurrentJobs);
    }

    /// <summary>Registers <paramref name="assignment"/> and runs it in the background; duplicates are ignored.</summary>
    public void Launch(JobAssignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        if (!jobs.TryAdd(assignment, out var job))
        {
            JobsLog.DuplicateAssignment(logger, assignment.JobId, assignment.Attempt);
            return;
        }

        JobsLog.Assigned(logger, job.JobId, job.Attempt, assignment.Kind, assignment.OperationId);
        job.Completion = Task.Run(() => RunAsync(job), CancellationToken.None);
    }

    private async Task RunAsync(RunningJob job)
    {
        using var activity = Telemetry.AgentTelemetry.StartJob(job.Assignment);
        var slotTaken = false;
        try
        {
            await slots.WaitAsync(job.Token).ConfigureAwait(false);
            slotTaken = true;
            if (!await StartAsync(job).ConfigureAwait(false))
            {
                return;
            }

            var completion = await ExecuteAsync(job, timeProvider.GetUtcNow()).ConfigureAwait(false);
            if (completion is null)
            {
                return;
            }

            await CompleteAsync(completion, jobs.HardStop).ConfigureAwait(false);
        }
        catch (Exception ex) when (RpcErrors.IsUnauthenticated(ex))
        {
            lifetime.Fail(new AgentFatalException(
                AgentExitCodes.Unauthenticated,
                $"The control plane rejected the agent token while reporting job {job.JobId} (UNAUTHENTICATED): the agent was revoked or is unknown. Re-enroll it with a new enrollment token.",
                ex));
        }
        catch (Exception ex) when (RpcErrors.IsCancellation(ex, job.Token) || RpcErrors.IsCancellation(ex, jobs.HardStop))
        {
            JobsLog.DroppedOnCancel(logger, job.JobId, job.Attempt, job.Reason?.ToString() ?? "shutdown");
        }
        catch (Exception ex)
        {
            JobsLog.RunnerFailed(logger, job.JobId, job.Attempt, ex);
        }
        finally
        {
            if (slotTaken)
            {
                slots.Release();
            }

            jobs.Remove(job);
        }
    }

    private async Task<bool> StartAsync(RunningJob job)
    {
        StartResponse response;
        try
        {
            var request = new StartRequest { JobId = job.JobId, Attempt = job.Attempt };
            response = await retry.ExecuteAsync(
                async token => await client.StartAsync(request, deadline: Deadline(), cancellationToken: token).ConfigureAwait(false),
                job.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (RpcErrors.IsJobGone(ex))
        {
            JobsLog.JobGone(logger, job.JobId, job.Attempt, "Start", RpcErrors.Describe(ex));
            return false;
        }

        if (!response.Proceed)
        {
            JobsLog.StartDeclined(logger, job.JobId, job.Attempt);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Re-sends the completions spooled by a previous run (see <see cref="ResultSpool"/>), one at a
    /// time, each retried on transient errors until the control plane answers or
    /// <paramref name="cancellationToken"/> fires (they stay spooled for the next start).
    /// </summary>
    public async Task ResendSpooledAsync(CancellationToken cancellationToken)
    {
        var spooled = spool.ReadAll();
        if (spooled.Count == 0)
        {
            return;
        }

        JobsLog.ResendingSpool(logger, spooled.Count);
        foreach (var completion in spooled)
        {
            await CompleteAsync(completion, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Validates and runs the job; returns the Complete request (redacted, with its times, already
    /// spooled), or null when the job is gone.
    /// </summary>
    private async Task<CompleteRequest?> ExecuteAsync(RunningJob job, DateTimeOffset startedAt)
    {
        var assignment = job.Assignment;
        var completion = new CompleteRequest { JobId = job.JobId, Attempt = job.Attempt, StartedAt = Timestamp.FromDateTimeOffset(startedAt) };

        if (!capabilities.IsEnabled(assignment.Kind)
            || !OperationKindCatalog.TryGet(assignment.Kind, out var kind)
            || !executors.TryGetValue(assignment.Kind, out var executor))
        {
            return Seal(job, Failed(completion, $"kind '{assignment.Kind}' is not enabled by this agent's policy"));
        }

        ParameterBindingResult binding;
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(assignment.ParametersJson) ? "{}" : assignment.ParametersJson);
            binding = ParameterBinder.Bind(kind, document.RootElement.Clone(), AgentParametersJsonContext.Default);
        }
        catch (JsonException ex)
        {
            return Seal(job, Failed(completion, $"invalid parameters: not valid JSON ({ex.Message})"));
        }

        if (!binding.IsValid)
        {
            var errors = string.Join("; ", binding.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
            return Seal(job, Failed(completion, $"invalid parameters: {errors}"));
        }

        var output = new JobOutputPump(client, job, retry, timeProvider, logger, redactor, options.MaxOutputBytes, jobs.HardStop);
        output.Start();
        JobsLog.Running(logger, job.JobId, job.Attempt, assignment.Kind);
        var context = new JobContext(job.JobId, assignment.OperationId, assignment.Kind, job.Attempt, binding.Value!, output, job.Deadline);
        ExecutorResult? result = null;
        try
        {
            result = await executor.ExecuteAsync(context, job.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (job.Token.IsCancellationRequested)
        {
            // Outcome from the cancellation reason below.
        }
        catch (Exception ex) when (!RpcErrors.IsUnauthenticated(ex))
        {
            result = ExecutorResult.Failure($"{assignment.Kind} failed: {ex.Message}");
            JobsLog.ExecutorThrew(logger, job.JobId, job.Attempt, ex);
        }

        if (result is null)
        {
            var reason = job.Reason ?? JobCancelReason.ControlPlane;
            var message = reason switch
            {
                JobCancelReason.Deadline => $"timed out: the deadline {job.Deadline:O} passed",
                JobCancelReason.Shutdown => "cancelled: the agent is shutting down",
                _ => "cancelled by the control plane",
            };
            output.System($"[ops-agent] {message}");
            completion.Outcome = reason == JobCancelReason.Deadline ? JobOutcome.TimedOut : JobOutcome.Cancelled;
            completion.ExitCode = reason == JobCancelReason.Deadline ? TimedOutExitCode : CancelledExitCode;
            completion.Error = message;
        }
        else
        {
            completion.Outcome = result.Succeeded ? JobOutcome.Succeeded : JobOutcome.Failed;
            completion.ExitCode = result.ExitCode;
            completion.Error = result.Error ?? string.Empty;
            if (result.Result is not null)
            {
                var json = SerializeResult(result.Result);
                var bytes = System.Text.Encoding.UTF8.GetByteCount(json);
                if (bytes <= MaxResultBytes)
                {
                    completion.ResultJson = json;
                }
                else
                {
                    // The control plane would refuse it (INVALID_ARGUMENT) and the spool would keep re-sending it: say so instead.
                    var message = $"result omitted: {bytes} bytes is larger than the {MaxResultBytes}-byte limit of the agent protocol";
                    completion.ResultJson = JsonSerializer.Serialize(new ResultOmitted(message, bytes), AgentJsonContext.Default.JobRunnerResultOmitted);
                    completion.Error = string.Join("; ", new[] { completion.Error, message }.Where(s => s.Length > 0));
                }
            }
        }

        output.Seal();
        completion.OutputBytes = output.OutputBytes;
        completion.OutputTruncated = output.Truncated;
        var abandoned = job.Reason == JobCancelReason.Abandoned;
        if (!abandoned)
        {
            Seal(job, completion);
        }

        try
        {
            await output.CompleteAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (jobs.HardStop.IsCancellationRequested)
        {
            // Shutdown grace over: report what we have.
        }

        if (abandoned || output.JobGone || job.Reason == JobCancelReason.Abandoned)
        {
            spool.Delete(job.JobId, job.Attempt);
            return null;
        }

        return completion;
    }

    /// <summary>
    /// Finishes a completion before it leaves the host: the finish time, redaction of the error and
    /// of the result JSON, and the spool file (written before Complete is sent).
    /// </summary>
    private CompleteRequest Seal(RunningJob job, CompleteRequest completion)
    {
        completion.FinishedAt = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow());
        completion.Error = redactor.Redact(completion.Error);
        completion.ResultJson = JsonRedaction.Redact(redactor, completion.ResultJson);
        if (completion.Outcome == JobOutcome.Failed && completion.Error.Length > 0)
        {
            JobsLog.Refused(logger, job.JobId, job.Attempt, completion.Error);
        }

        spool.Save(completion);
        return completion;
    }

    /// <summary>
    /// Sends Complete, retried on transient errors until answered or <paramref name="cancellationToken"/>
    /// fires; deletes the spooled copy once the control plane has answered (accepted or not, or the job
    /// is unknown to it). UNAUTHENTICATED propagates.
    /// </summary>
    private async Task CompleteAsync(CompleteRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var response = await retry.ExecuteAsync(
                async token => await client.CompleteAsync(request, deadline: Deadline(), cancellationToken: token).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            spool.Delete(request.JobId, request.Attempt);
            if (response.Accepted)
            {
                JobsLog.Completed(logger, request.JobId, request.Attempt, request.Outcome.ToString(), request.Error);
            }
            else
            {
                JobsLog.CompletionRejected(logger, request.JobId, request.Attempt);
            }
        }
        catch (Exception ex) when (RpcErrors.IsJobGone(ex))
        {
            spool.Delete(request.JobId, request.Attempt);
            JobsLog.JobGone(logger, request.JobId, request.Attempt, "Complete", RpcErrors.Describe(ex));
        }
        catch (Exception ex) when (!RpcErrors.IsUnauthenticated(ex) && ex is not OperationCanceledException)
        {
            JobsLog.CompletionFailed(logger, request.JobId, request.Attempt, RpcErrors.Describe(ex));
        }
    }

    private static CompleteRequest Failed(CompleteRequest completion, string error)
    {
        completion.Outcome = JobOutcome.Failed;
        completion.ExitCode = 1;
        completion.Error = error;
        return completion;
    }

    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;

    /// <summary>
    /// The result as JSON through <see cref="AgentJsonContext"/> (the only resolver, JIT and Native
    /// AOT alike). A type the context does not list is an agent defect: the job's result says so
    /// instead of the job never completing.
    /// </summary>
    private static string SerializeResult(object result)
    {
        try
        {
            return JsonSerializer.Serialize(result, result.GetType(), AgentJsonContext.Default);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException)
        {
            return JsonSerializer.Serialize(new ResultOmitted($"result omitted: {result.GetType().Name} is not in the agent's JSON context ({ex.Message})", 0), AgentJsonContext.Default.JobRunnerResultOmitted);
        }
    }

    /// <summary>The result sent in place of one over the protocol's limit (or one the agent cannot serialise).</summary>
    internal sealed record ResultOmitted(string Error, int ResultBytes);
}
