using System.Globalization;

namespace Ops.Chaos;

/// <summary>
/// Settings of a chaos run: where the real processes live and listen, how much load, which
/// scenarios. Command line: <c>--home DIR --http-port N --grpc-port N --ops N --agents N
/// --scenarios a,b,c</c>; environment: <c>OPS_CHAOS_HOME</c>, <c>OPS_CHAOS_HTTP_PORT</c>,
/// <c>OPS_CHAOS_GRPC_PORT</c>. Ports default to 18160/18161, away from <c>./ops up</c>'s 8080/8081;
/// scenario (d) also uses the next ones: the second replica on +2, the load balancer on +4.
/// </summary>
internal sealed record ChaosOptions
{
    public required string Home { get; init; }

    public int HttpPort { get; init; } = 18160;

    public int GrpcPort { get; init; } = 18161;

    /// <summary>Operations of the closed-loop load in scenarios (a) and (b).</summary>
    public int Operations { get; init; } = 500;

    public int Agents { get; init; } = 2;

    /// <summary>Concurrent clients of the closed loop.</summary>
    public int Clients { get; init; } = 8;

    public IReadOnlySet<char> Scenarios { get; init; } = new HashSet<char> { 'a', 'b', 'c', 'd' };

    /// <summary>Heartbeat interval handed to the agents (ms); the running grace is five of them.</summary>
    public int HeartbeatIntervalMs { get; init; } = 2000;

    public TimeSpan RunningGrace => TimeSpan.FromMilliseconds(HeartbeatIntervalMs * 5);

    public static ChaosOptions Parse(string[] args)
    {
        string? Arg(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        int Int(string? value, int fallback) => value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);

        var home = Arg("--home") ?? Environment.GetEnvironmentVariable("OPS_CHAOS_HOME") ?? Path.Combine(Environment.CurrentDirectory, ".ops", "chaos");
        return new ChaosOptions
        {
            Home = Path.GetFullPath(home),
            HttpPort = Int(Arg("--http-port") ?? Environment.GetEnvironmentVariable("OPS_CHAOS_HTTP_PORT"), 18160),
            GrpcPort = Int(Arg("--grpc-port") ?? Environment.GetEnvironmentVariable("OPS_CHAOS_GRPC_PORT"), 18161),
            Operations = Int(Arg("--ops"), 500),
            Agents = Int(Arg("--agents"), 2),
            Clients = Int(Arg("--clients"), 8),
            Scenarios = (Arg("--scenarios") ?? "a,b,c,d").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s[0]).ToHashSet(),
        };
    }
}
