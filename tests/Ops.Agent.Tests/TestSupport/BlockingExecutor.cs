using Ops.Agent.Executors;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>Replaces <c>agent.ping</c> with an executor that writes a line and then waits until cancelled.</summary>
internal sealed class BlockingExecutor : IOperationExecutor
{
    public TaskCompletionSource<string> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Kind => OperationKindCatalog.AgentPing.Name;

    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        job.Output.Stdout("working");
        Started.TrySetResult(job.JobId);
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return ExecutorResult.Success();
    }
}
