using System.Text.Json;
using Ops.Agent.Executors;
using Ops.Contracts.Json;

namespace Ops.Agent.Tests.Postgres;

/// <summary>Runs an executor directly with a <see cref="JobContext"/> and a capturing output.</summary>
internal static class Executions
{
    public static async Task<(ExecutorResult Result, CapturingJobOutput Output, JsonElement Json)> RunAsync(
        IOperationExecutor executor, object parameters, CancellationToken cancellationToken = default)
    {
        var output = new CapturingJobOutput();
        var job = new JobContext(Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"), executor.Kind, 1, parameters, output, null);
        var result = await executor.ExecuteAsync(job, cancellationToken);
        var json = JsonSerializer.SerializeToElement(result.Result, OpsJson.Default);
        return (result, output, json);
    }
}
