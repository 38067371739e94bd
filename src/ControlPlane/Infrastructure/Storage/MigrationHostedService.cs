using Microsoft.Extensions.Hosting;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>Brings the schema up to date before the server accepts requests.</summary>
internal sealed class MigrationHostedService(MigrationRunner runner) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => runner.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
