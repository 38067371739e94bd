namespace Ops.Agent.Policy;

/// <summary>
/// One Redis instance of <c>Policy:Redis:Instances</c>: a TCP endpoint (<see cref="Host"/> and
/// <see cref="Port"/>) or a Unix socket, with an optional ACL user and password (the password from
/// <see cref="FromEnvironment"/> when set), TLS and the logical database that key patterns and
/// lists are read from.
/// </summary>
internal sealed record RedisInstancePolicy
{
    /// <summary>Host name or address; exclusive with <see cref="UnixSocket"/>.</summary>
    public string? Host { get; set; }

    /// <summary>TCP port, default 6379.</summary>
    public int Port { get; set; } = 6379;

    /// <summary>Absolute path of the server's Unix socket; exclusive with <see cref="Host"/>.</summary>
    public string? UnixSocket { get; set; }

    /// <summary>ACL user name (Redis 6+); null = the default user.</summary>
    public string? User { get; set; }

    /// <summary>The password (AUTH); a secret.</summary>
    public string? Password { get; set; }

    /// <summary>An environment variable holding the password instead.</summary>
    public string? FromEnvironment { get; set; }

    /// <summary>Connect with TLS (validated against the system store).</summary>
    public bool Tls { get; set; }

    /// <summary>TLS server name when it differs from <see cref="Host"/>.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>Logical database of <c>keyPattern</c> and <c>lists</c>, default 0.</summary>
    public int Database { get; set; }

    /// <summary>Connect and command timeout in milliseconds, default 5000.</summary>
    public int TimeoutMs { get; set; } = 5000;
}
