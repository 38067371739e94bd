namespace Ops.ControlPlane.Infrastructure.Storage;

/// <summary>
/// Settings of the private PostgreSQL cluster started when <c>ConnectionStrings:Ops</c> is empty
/// (DESIGN.md §8).
/// </summary>
/// <param name="RootDirectory">Folder holding the cluster: data in <c>data/</c>, the Unix socket and the server log beside it. Typically <c>$OPS_HOME/pg</c>.</param>
/// <param name="BinDirectory">Folder with <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>; <c>null</c> to search PATH, then <c>/usr/lib/postgresql/*/bin</c> (newest first).</param>
/// <param name="Database">Database created for Ops inside the cluster.</param>
/// <param name="Durable">False turns off <c>fsync</c> and synchronous commit: for throwaway test clusters only.</param>
/// <param name="StatStatements">
/// Loads <c>pg_stat_statements</c> (<c>shared_preload_libraries</c>, nested statements tracked) so the
/// cost of every statement, including those run by triggers, can be read with
/// <c>CREATE EXTENSION pg_stat_statements</c>; <c>Postgres:StatStatements</c>, used by <c>./ops bench</c>.
/// </param>
public sealed record EmbeddedPostgresOptions(
    string RootDirectory,
    string? BinDirectory = null,
    string Database = "ops",
    bool Durable = true,
    bool StatStatements = false);
