using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>Starts the embedded cluster first at start-up and stops it last at shutdown, after closing the pool's idle connections.</summary>
internal sealed class EmbeddedPostgresHostedService(EmbeddedPostgres postgres, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => postgres.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken)
    {
        services.GetService<NpgsqlDataSource>()?.Clear();
        return postgres.StopAsync(CancellationToken.None);
    }
}
