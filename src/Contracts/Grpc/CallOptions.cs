namespace Ops.Contracts.Grpc;

/// <summary>Per-call options for <see cref="GrpcChannel.CallUnaryAsync{TRequest, TResponse}"/>.</summary>
/// <param name="Headers">Custom metadata sent as request headers (PROTOCOL-HTTP2.md "Custom-Metadata").</param>
/// <param name="Deadline">
/// Absolute deadline. Sent as <c>grpc-timeout</c> (remaining time, at most 8 digits in the finest unit
/// that fits); when it passes the HTTP/2 stream is cancelled and the call fails with
/// <see cref="StatusCode.DeadlineExceeded"/>.
/// </param>
/// <param name="CancellationToken">Cancels the call (RST_STREAM CANCEL); the call fails with <see cref="StatusCode.Cancelled"/>.</param>
public sealed record CallOptions(
    Metadata? Headers = null,
    DateTimeOffset? Deadline = null,
    CancellationToken CancellationToken = default);
