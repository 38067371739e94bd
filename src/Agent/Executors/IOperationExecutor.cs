namespace Ops.Agent.Executors;

/// <summary>
/// Runs one operation kind on this host (DESIGN.md §6). Implementations are registered in DI as
/// <c>IOperationExecutor</c> singletons; the job runner picks the one whose <see cref="Kind"/>
/// matches the assignment (the last registration wins, so a host can replace a built-in one).
/// The runner has already checked the local policy (<c>Agent:EnabledKinds</c>) and bound and
/// validated the parameters with the kind's validator.
/// </summary>
internal interface IOperationExecutor
{
    /// <summary>The exact kind name, e.g. <c>host.disk</c>.</summary>
    string Kind { get; }

    /// <summary>
    /// Runs the job. Return <see cref="ExecutorResult.Success"/> or <see cref="ExecutorResult.Failure"/>;
    /// an exception other than <see cref="OperationCanceledException"/> fails the job with its message.
    /// </summary>
    /// <param name="job">The job: ids, typed parameters and the output sink.</param>
    /// <param name="cancellationToken">
    /// Cancelled when the control plane cancels the job, its deadline passes or the agent shuts
    /// down; stop promptly (throwing <see cref="OperationCanceledException"/> is fine).
    /// </param>
    Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken);
}
