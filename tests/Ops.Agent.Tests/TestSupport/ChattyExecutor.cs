using System.Text.Json.Nodes;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>Replaces <c>agent.ping</c> with an executor that writes <see cref="Lines"/> lines of 100 bytes to stdout and stderr.</summary>
internal sealed class ChattyExecutor(int lines) : IOperationExecutor
{
    public int Lines => lines;

    public string Kind => OperationKindCatalog.AgentPing.Name;

    public Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        for (var i = 0; i < lines; i++)
        {
            var text = i.ToString("D6") + new string('x', 93);
            if (i % 10 == 9)
            {
                job.Output.Stderr(text);
            }
            else
            {
                job.Output.Stdout(text);
            }
        }

        return Task.FromResult(ExecutorResult.Success(new JsonObject { ["lines"] = lines }));
    }
}
