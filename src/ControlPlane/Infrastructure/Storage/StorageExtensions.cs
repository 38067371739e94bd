using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>Registers the storage layer: one <see cref="NpgsqlDataSource"/>, the embedded cluster when no connection string is set, and start-up migrations.</summary>
internal static class StorageExtensions
{
    /// <summary>
    /// Uses <c>ConnectionStrings:Ops</c> when set; otherwise registers the embedded PostgreSQL in
    /// <c>$OPS_HOME/pg</c>, started before anything else and stopped last. Migrations run at
    /// start-up under an advisory lock.
    /// </summary>
    public static IHostApplicationBuilder AddOpsStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Ops");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var root = Path.Combine(OpsHome.Resolve(builder.Configuration), "pg");
            var options = new EmbeddedPostgresOptions(root, builder.Configuration["Postgres:BinDirectory"]);
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton<EmbeddedPostgres>();
            builder.Services.AddHostedService<EmbeddedPostgresHostedService>();
            builder.Services.AddSingleton(sp => BuildDataSource(
                sp.GetRequiredService<EmbeddedPostgres>().GetConnectionString(), sp.GetRequiredService<ILoggerFactory>()));
        }
        else
        {
            builder.Services.AddSingleton(sp => BuildDataSource(connectionString, sp.GetRequiredService<ILoggerFactory>()));
        }

        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddHostedService<MigrationHostedService>();
        return builder;
    }

    private static NpgsqlDataSource BuildDataSource(string connectionString, ILoggerFactory loggerFactory)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString);
        dataSource.UseLoggerFactory(loggerFactory);
        dataSource.EnableDynamicJson();
        return dataSource.Build();
    }
}
