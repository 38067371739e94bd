namespace Ops.Agent.Policy;

/// <summary>
/// The <c>Policy</c> configuration section: what this host lets the control plane do (DESIGN.md
/// §6, §9) beyond <c>Agent:EnabledKinds</c>. docs/agent-config.md is the reference.
/// <c>Policy:Services</c> belongs to the service executors (src/Agent/Services) and is bound there.
/// </summary>
internal sealed record PolicyOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Policy";

    /// <summary>Allowed path roots for the file and log kinds.</summary>
    public PathRootsOptions Paths { get; set; } = new();

    /// <summary>Named scripts for <c>script.run</c>, by name (e.g. <c>demo.pipeline</c>).</summary>
    public Dictionary<string, ScriptPolicy> Scripts { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Literal secret values replaced by <c>[REDACTED]</c> in output, results and errors.</summary>
    public string[]? Secrets { get; set; }

    /// <summary>
    /// PEM files of extra certificate authorities that <c>tls.check</c> trusts besides the system
    /// store (an internal PKI). A chain that validates only up to one of these counts as valid.
    /// </summary>
    public string[]? TrustedCaFiles { get; set; }

    /// <summary>Named HTTP credentials and the URL prefixes open to mutating methods (<c>http.request</c>, <c>queue.check</c>).</summary>
    public HttpPolicyOptions Http { get; set; } = new();

    /// <summary>The archive folder of <c>files.archive</c> and <c>files.restore-archive</c>.</summary>
    public ArchivePolicyOptions Archives { get; set; } = new();

    /// <summary>Named Redis instances for <c>redis.check</c>.</summary>
    public RedisPolicyOptions Redis { get; set; } = new();

    /// <summary>Named RabbitMQ management endpoints for <c>queue.check</c>.</summary>
    public RabbitMqPolicyOptions RabbitMq { get; set; } = new();
}
