using Microsoft.Extensions.Hosting;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>Starts the embedded cluster first at start-up and stops it last at shutdown.</summary>
internal sealed class EmbeddedPostgresHostedService(EmbeddedPostgres postgres) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => postgres.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => postgres.StopAsync(CancellationToken.None);
}
