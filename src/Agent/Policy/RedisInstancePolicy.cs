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
    public string? Host { get; init; }

    /// <summary>TCP port, default 6379.</summary>
    public int Port { get; init; } = 6379;

    /// <summary>Absolute path of the server's Unix socket; exclusive with <see cref="Host"/>.</summary>
    public string? UnixSocket { get; init; }

    /// <summary>ACL user name (Redis 6+); null = the default user.</summary>
    public string? User { get; init; }

    /// <summary>The password (AUTH); a secret.</summary>
    public string? Password { get; init; }

    /// <summary>An environment variable holding the password instead.</summary>
    public string? FromEnvironment { get; init; }

    /// <summary>Connect with TLS (validated against the system store).</summary>
    public bool Tls { get; init; }

    /// <summary>TLS server name when it differs from <see cref="Host"/>.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>Logical database of <c>keyPattern</c> and <c>lists</c>, default 0.</summary>
    public int Database { get; init; }

    /// <summary>Connect and command timeout in milliseconds, default 5000.</summary>
    public int TimeoutMs { get; init; } = 5000;
}
