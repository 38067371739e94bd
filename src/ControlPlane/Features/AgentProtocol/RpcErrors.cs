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

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
