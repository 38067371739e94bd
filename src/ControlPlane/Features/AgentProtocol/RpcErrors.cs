using System.Diagnostics.CodeAnalysis;
using Grpc.Core;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>Throw helpers for the agent protocol's status codes (DESIGN.md §4).</summary>
internal static class RpcErrors
{
    [DoesNotReturn]
    public static void Unauthenticated(string detail) => throw new RpcException(new Status(StatusCode.Unauthenticated, detail));

    [DoesNotReturn]
    public static void InvalidArgument(string detail) => throw new RpcException(new Status(StatusCode.InvalidArgument, detail));

    [DoesNotReturn]
    public static void NotFound(string detail) => throw new RpcException(new Status(StatusCode.NotFound, detail));

    [DoesNotReturn]
    public static void FailedPrecondition(string detail) => throw new RpcException(new Status(StatusCode.FailedPrecondition, detail));

    [DoesNotReturn]
    public static void Unavailable(string detail) => throw new RpcException(new Status(StatusCode.Unavailable, detail));

    /// <summary>Parses a job id sent by an agent; INVALID_ARGUMENT when it is not a UUID.</summary>
    public static Guid ParseJobId(string value, string field = "job_id")
    {
        if (!Guid.TryParse(value, out var id))
        {
            InvalidArgument($"{field} '{Truncate(value)}' is not a UUID.");
        }

        return id;
    }

    /// <summary>INVALID_ARGUMENT when <paramref name="value"/> holds a NUL character, which PostgreSQL text and jsonb cannot store.</summary>
    public static void RequireStorableText(string? value, string field)
    {
        if (value is not null && value.Contains('\0', StringComparison.Ordinal))
        {
            InvalidArgument($"{field} must not contain NUL characters.");
        }
    }

    /// <summary>
    /// INVALID_ARGUMENT unless <paramref name="value"/> is a valid protobuf Timestamp
    /// (google/protobuf/timestamp.proto: seconds within 0001-01-01 … 9999-12-31, nanos 0 … 999,999,999).
    /// </summary>
    public static DateTimeOffset? RequireTimestamp(Google.Protobuf.WellKnownTypes.Timestamp? value, string field)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Seconds is < -62_135_596_800 or > 253_402_300_799 || value.Nanos is < 0 or > 999_999_999)
        {
            InvalidArgument($"{field} is not a valid timestamp (seconds {value.Seconds}, nanos {value.Nanos}).");
        }

        return value.ToDateTimeOffset();
    }

    /// <summary>INVALID_ARGUMENT unless <paramref name="value"/> is a finite number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static void RequireFinite(double value, string field, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            InvalidArgument($"{field} must be a finite number between {min} and {max} (got {value}).");
        }
    }

    /// <summary>INVALID_ARGUMENT when <paramref name="value"/> is negative.</summary>
    public static void RequireNonNegative(long value, string field)
    {
        if (value < 0)
        {
            InvalidArgument($"{field} must be 0 or more (got {value}).");
        }
    }

    /// <summary>Checks a telemetry sample (DESIGN.md §4 HostStats): valid time, finite percentages and load, sizes ≥ 0, storable mounts.</summary>
    public static void RequireValidStats(Ops.Contracts.Agent.V1.HostStats stats)
    {
        RequireTimestamp(stats.At, "stats.at");
        RequireFinite(stats.CpuPercent, "stats.cpu_percent", 0, 100);
        RequireFinite(stats.Load1, "stats.load1", 0, 1e9);
        RequireNonNegative(stats.MemoryUsedBytes, "stats.memory_used_bytes");
        RequireNonNegative(stats.MemoryTotalBytes, "stats.memory_total_bytes");
        if (stats.Disks.Count > 1000)
        {
            InvalidArgument("stats.disks: at most 1,000 mounts.");
        }

        for (var i = 0; i < stats.Disks.Count; i++)
        {
            var disk = stats.Disks[i];
            RequireStorableText(disk.Mount, $"stats.disks[{i}].mount");
            RequireNonNegative(disk.TotalBytes, $"stats.disks[{i}].total_bytes");
            RequireNonNegative(disk.FreeBytes, $"stats.disks[{i}].free_bytes");
        }
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
