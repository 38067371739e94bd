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
            var options = new EmbeddedPostgresOptions(
                root, builder.Configuration["Postgres:BinDirectory"], StatStatements: builder.Configuration.GetValue<bool>("Postgres:StatStatements"));
            builder.Services.AddSingleton(options);
            builder.Services.AddSingleton<EmbeddedPostgres>();
            builder.Services.AddHostedService<EmbeddedPostgresHostedService>();
            builder.Services.AddSingleton(sp => BuildDataSource(
                sp.GetRequiredService<EmbeddedPostgres>().GetConnectionString(), sp.GetRequiredService<ILoggerFactory>()));
            builder.Services.AddSingleton(sp => new ListenerDataSource(sp.GetRequiredService<EmbeddedPostgres>().GetConnectionString()));
        }
        else
        {
            builder.Services.AddSingleton(sp => BuildDataSource(connectionString, sp.GetRequiredService<ILoggerFactory>()));
            builder.Services.AddSingleton(_ => new ListenerDataSource(connectionString));
        }

        builder.Services.AddSingleton<MigrationRunner>();
        builder.Services.AddHostedService<MigrationHostedService>();
        return builder;
    }

    /// <summary>
    /// The one data source of the process. Unless the connection string says otherwise, pooled
    /// connections are not reset with <c>DISCARD ALL</c> when they return to the pool
    /// (<c>No Reset On Close</c>) and the hot statements are prepared on the server after two uses
    /// (<c>Max Auto Prepare</c> 128): a reset discards the prepared statements and every cached plan
    /// of the PL/pgSQL triggers, which ./ops bench showed re-planned on almost every job. Nothing in
    /// Ops leaves session state on a pooled connection: settings are <c>SET LOCAL</c>, advisory
    /// locks are transaction-scoped or released in <c>finally</c>, and the LISTEN connection
    /// unlistens before it is returned (<see cref="NotificationListener"/>).
    /// </summary>
    internal static NpgsqlDataSource BuildDataSource(string connectionString, ILoggerFactory loggerFactory)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString);
        // NpgsqlConnectionStringBuilder.ContainsKey answers for every known keyword: look at what was written.
        var given = connectionString.Replace(" ", string.Empty, StringComparison.Ordinal);
        if (!given.Contains("NoResetOnClose=", StringComparison.OrdinalIgnoreCase))
        {
            dataSource.ConnectionStringBuilder.NoResetOnClose = true;
        }

        if (!given.Contains("MaxAutoPrepare=", StringComparison.OrdinalIgnoreCase))
        {
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = 128;
            dataSource.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        dataSource.UseLoggerFactory(loggerFactory);
        dataSource.EnableDynamicJson();
        return dataSource.Build();
    }
}
