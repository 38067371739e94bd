using System.Net.Sockets;
using Grpc.Core;

namespace Ops.Agent.Connection;

/// <summary>Classifies failures of agent RPCs (DESIGN.md §4 status codes).</summary>
internal static class RpcErrors
{
    /// <summary>UNAUTHENTICATED: the agent token is missing, unknown or revoked. Never retried.</summary>
    public static bool IsUnauthenticated(Exception exception) =>
        exception is RpcException { StatusCode: StatusCode.Unauthenticated };

    /// <summary>
    /// FAILED_PRECONDITION or NOT_FOUND on a job call: the job was reassigned (stale attempt),
    /// is not leased to this agent, or no longer exists. The agent drops the job quietly.
    /// </summary>
    public static bool IsJobGone(Exception exception) =>
        exception is RpcException { StatusCode: StatusCode.FailedPrecondition or StatusCode.NotFound };

    /// <summary>
    /// Failures worth retrying with backoff: the control plane is down, restarting, overloaded
    /// or the connection broke (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, ABORTED,
    /// RESOURCE_EXHAUSTED, CANCELLED by the peer) and raw transport errors.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal
            or StatusCode.Unknown or StatusCode.Aborted or StatusCode.ResourceExhausted or StatusCode.Cancelled,
        HttpRequestException or IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>A short description for logs: the gRPC status and detail, or the exception message.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        RpcException rpc => $"{rpc.StatusCode}: {rpc.Status.Detail}",
        _ => exception.Message,
    };

    /// <summary>
    /// Whether <paramref name="exception"/> is the result of cancelling <paramref name="token"/>: an
    /// <see cref="OperationCanceledException"/>, or the CANCELLED status the gRPC client reports.
    /// </summary>
    public static bool IsCancellation(Exception exception, CancellationToken token) =>
        token.IsCancellationRequested
        && exception is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled };
}
