using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ops.Agent.Execution;
using Ops.Agent.Executors;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Services;

/// <summary>
/// <c>service.restart</c>: one service of <c>Policy:Services:Allowed</c> per job (seed 002 "UN
/// service à la fois": <c>docker compose restart backend</c>; seed 004 <c>docker service update
/// --force</c>; <c>systemctl restart</c>). A service marked with a <c>Database</c> is refused
/// unless a successful full <c>postgres.backup</c> of it finished within
/// <c>BackupWindowHours</c> (seed 002 "JAMAIS restart postgres en production sans backup"); the
/// refusal names the database and the missing or stale backup, and nothing is run.
/// After the restart the service's state is read again.
/// Result: <c>{manager, service, name, database, backup (the file allowing it), exitCode,
/// state: {service, name, state, running, detail, instances}}</c>. FAILED when refused, when the
/// tool exits non-zero (its exit code), or when the service is not running afterwards.
/// </summary>
internal sealed class ServiceRestartExecutor(
    IConfiguration configuration, IProcessRunner processRunner, TimeProvider timeProvider, ILogger<ServiceRestartExecutor> logger) : IOperationExecutor
{
    /// <inheritdoc />
    public string Kind => OperationKindCatalog.ServiceRestart.Name;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (ServiceRestartParameters)job.Parameters;
        var output = job.Output;
        try
        {
            var loader = new ServicePolicyLoader(configuration);
            var manager = ServiceManagers.Create(loader, processRunner);
            var service = loader.Resolve([parameters.Service])[0];
            string? backup = null;
            if (service.Database is not null)
            {
                (backup, var refusal) = DatabaseBackupGuard.Check(configuration, service, loader.Policy.BackupWindowHours, timeProvider.GetUtcNow());
                if (refusal is not null)
                {
                    ServicesLog.RestartRefused(logger, service.Service, refusal);
                    output.Stderr(refusal);
                    return ExecutorResult.Failure(refusal);
                }

                output.System($"'{service.Service}' serves database '{service.Database}': backup {backup} is recent enough (seed 002)");
            }

            output.System($"restarting '{service.Service}' ({manager.Name} {service.Name})");
            var exitCode = await manager.RestartAsync(service, output, cancellationToken);
            ServicesLog.Restarted(logger, service.Service, manager.Name, service.Name, exitCode);
            if (exitCode != 0)
            {
                var error = $"restart of '{service.Service}' failed: {(manager.Name == "systemd" ? "systemctl" : "docker")} exited with code {exitCode.ToString(CultureInfo.InvariantCulture)}.";
                output.Stderr(error);
                return ExecutorResult.Failure(error, new RestartResult(manager.Name, service.Service, service.Name, service.Database, backup, exitCode, null), exitCode);
            }

            var state = (await manager.StatusAsync([service], output, cancellationToken))[0];
            ServiceStatusExecutor.WriteTable(output, [state]);
            var result = new RestartResult(manager.Name, service.Service, service.Name, service.Database, backup, exitCode, state);
            if (!state.Running)
            {
                var error = $"'{service.Service}' was restarted but is not running: {state.State} ({state.Detail}).";
                output.Stderr(error);
                return ExecutorResult.Failure(error, result);
            }

            return ExecutorResult.Success(result);
        }
        catch (Exception ex) when (ex is ServicePolicyException or ServiceToolException)
        {
            output.Stderr(ex.Message);
            return ExecutorResult.Failure(ex.Message);
        }
    }

    internal sealed record RestartResult(string Manager, string Service, string Name, string? Database, string? Backup, int ExitCode, ServiceState? State);
}
