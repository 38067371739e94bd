namespace Ops.Agent.Services;

/// <summary>One service of <c>Policy:Services:Allowed</c>.</summary>
internal sealed record ServiceEntryPolicy
{
    /// <summary>
    /// The manager's name for it: the compose service, the swarm service without the stack prefix,
    /// or the systemd unit (<c>postgresql@15-main</c>, <c>nginx.service</c>); default the policy name.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// Marks a database server: the name of a <c>Postgres:Databases</c> entry whose recent
    /// successful full <c>postgres.backup</c> is required before a restart (seed 002).
    /// </summary>
    public string? Database { get; set; }
}
