namespace Ops.Agent.Configuration;

/// <summary>
/// The <c>Agent</c> configuration section (DESIGN.md §8), bound from <c>appsettings.json</c>, the
/// optional <c>--config</c> file, <c>OPS_AGENT_</c> environment variables
/// (e.g. <c>OPS_AGENT_Agent__ControlPlaneUrl</c>) and the command line, in increasing precedence.
/// Validated at start by <see cref="AgentOptionsValidator"/>; docs/agent.md lists every key.
/// Its properties (and those of every policy record) have setters, not <c>init</c>: the
/// configuration binding source generator (the Native AOT agent's binder) sets only settable ones.
/// </summary>
internal sealed record AgentOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Agent";

    /// <summary>Kinds enabled when <see cref="EnabledKinds"/> is not configured.</summary>
    public static IReadOnlyList<string> DefaultEnabledKinds { get; } = ["agent.ping", "host.disk"];

    /// <summary>The control plane's agent gRPC endpoint (h2c or TLS), e.g. <c>http://127.0.0.1:8081</c> (DESIGN.md §8 port).</summary>
    public string ControlPlaneUrl { get; set; } = "http://127.0.0.1:8081";

    /// <summary>
    /// Absolute directory for the agent's state (<c>identity.json</c>); created with mode 0700 when
    /// missing and required to be writable.
    /// </summary>
    public string StateDirectory { get; set; } = "/var/lib/ops-agent";

    /// <summary>Enrollment token used once, on the first start, when no identity is stored.</summary>
    public string? EnrollmentToken { get; set; }

    /// <summary>The host name reported at enrollment; default <see cref="Environment.MachineName"/>.</summary>
    public string Hostname { get; set; } = Environment.MachineName;

    /// <summary>Labels reported at enrollment (<c>env=prod</c>, <c>role=db</c>); used by label selectors.</summary>
    public Dictionary<string, string> Labels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Jobs run at the same time (1–256); the Pull asks for the free slots only.</summary>
    public int MaxConcurrentJobs { get; set; } = 4;

    /// <summary>How long a Pull waits for work, in milliseconds (1,000–30,000; the server caps it at 30 s).</summary>
    public int PullWaitMs { get; set; } = 25_000;

    /// <summary>
    /// The local policy's enabled operation kinds, reported as capabilities; null means
    /// <see cref="DefaultEnabledKinds"/>. (Bound as null by default because the configuration
    /// binder appends to, rather than replaces, a pre-filled collection.)
    /// </summary>
    public string[]? EnabledKinds { get; set; }

    /// <summary>The enabled kinds in effect: <see cref="EnabledKinds"/> or the defaults.</summary>
    public IReadOnlyList<string> EffectiveEnabledKinds => EnabledKinds is { Length: > 0 } kinds ? kinds : DefaultEnabledKinds;

    /// <summary>
    /// Output kept per job attempt, in bytes (4 KiB–64 MiB; default 1 MiB): past it the first half
    /// is kept (sent live), the last half is kept (sent at the end) and the middle is dropped with a
    /// note; <c>output_bytes</c> still counts everything the job printed.
    /// </summary>
    public int MaxOutputBytes { get; set; } = 1024 * 1024;
}
