namespace Ops.Agent.Services;

/// <summary>
/// <c>Policy:Services</c>: the service manager of this host and the services jobs may name
/// (DESIGN.md §6, §8). Bound and validated on first use by <see cref="ServicePolicyLoader"/>;
/// docs/postgres.md lists every key.
/// </summary>
internal sealed record ServicePolicy
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Policy:Services";

    /// <summary><c>compose</c> (docker compose v2), <c>swarm</c> (docker service) or <c>systemd</c> (systemctl).</summary>
    public string? Manager { get; set; }

    /// <summary>compose: the compose file (<c>docker compose --file</c>); null = docker's default lookup.</summary>
    public string? ComposeFile { get; set; }

    /// <summary>compose: the project name (<c>docker compose --project-name</c>); null = docker's default.</summary>
    public string? ComposeProject { get; set; }

    /// <summary>swarm: the stack; service names become <c>&lt;Stack&gt;_&lt;Name&gt;</c> (<c>docker stack deploy</c> naming).</summary>
    public string? Stack { get; set; }

    /// <summary>How recent (hours, 1–8760, default 24) a successful full backup must be before a database service restarts (seed 002).</summary>
    public int BackupWindowHours { get; set; } = 24;

    /// <summary>
    /// The PATH where <c>docker</c> / <c>systemctl</c> are found and that they run with; null = the
    /// agent's PATH. Lets a host pin its tools (and tests put stand-ins first).
    /// </summary>
    public string? SearchPath { get; set; }

    /// <summary>The services jobs may name, by policy name.</summary>
    public Dictionary<string, ServiceEntryPolicy> Allowed { get; set; } = new(StringComparer.Ordinal);
}
