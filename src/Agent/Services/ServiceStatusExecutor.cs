using Microsoft.Extensions.Configuration;
using Ops.Agent.Execution;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Services;

/// <summary>
/// <c>service.status</c>: seed 000 / 003 <c>docker-compose ps</c> ("Vérifiez que tous les services
/// sont Up"), seed 004 <c>docker service ls</c> / <c>docker service ps</c>, or <c>systemctl show</c>,
/// for the listed services of <c>Policy:Services:Allowed</c> (default all). A table on stdout.
/// Result: <c>{manager, allRunning, services: [{service, name, state, running, detail,
/// instances: [{name, state, status, health}]}]}</c>. FAILED when a service is not running (the
/// error names each with its state), is not in the policy, or the tool fails.
/// </summary>
internal sealed class ServiceStatusExecutor(IConfiguration configuration, IProcessRunner processRunner) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.ServiceStatus.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (ServiceStatusParameters)job.Parameters;
        try
        {
            var loader = new ServicePolicyLoader(configuration);
            var manager = ServiceManagers.Create(loader, processRunner);
            var targets = loader.Resolve(parameters.Services);
            var states = await manager.StatusAsync(targets, job.Output, cancellationToken);
            WriteTable(job.Output, states);
            var result = new StatusResult(manager.Name, states.All(s => s.Running), states);
            var down = states.Where(s => !s.Running).ToList();
            if (down.Count == 0)
            {
                return ExecutorResult.Success(result);
            }

            var error = "not running: " + string.Join(", ", down.Select(s => $"{s.Service} ({s.State})"));
            job.Output.Stderr(error);
            return ExecutorResult.Failure(error, result);
        }
        catch (Exception ex) when (ex is ServicePolicyException or ServiceToolException)
        {
            job.Output.Stderr(ex.Message);
            return ExecutorResult.Failure(ex.Message);
        }
    }

    /// <summary>Writes one line per service (policy name, manager name, state, detail), then one indented line per container, task or process.</summary>
    public static void WriteTable(IJobOutput output, IReadOnlyList<ServiceState> states)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(states);
        var width = Math.Max(7, states.Max(s => s.Service.Length));
        var nameWidth = Math.Max(4, states.Max(s => s.Name.Length));
        output.Stdout($"{"SERVICE".PadRight(width)}  {"NAME".PadRight(nameWidth)}  {"STATE",-10}  DETAIL");
        foreach (var s in states)
        {
            output.Stdout($"{s.Service.PadRight(width)}  {s.Name.PadRight(nameWidth)}  {s.State,-10}  {s.Detail}");
            foreach (var instance in s.Instances)
            {
                output.Stdout($"  {instance.Name}  {instance.State}  {instance.Status}{(instance.Health is { } health ? "  " + health : string.Empty)}".TrimEnd());
            }
        }
    }

    internal sealed record StatusResult(string Manager, bool AllRunning, IReadOnlyList<ServiceState> Services);
}
