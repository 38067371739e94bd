namespace Ops.Contracts.Grpc.Internal;

/// <summary>One Length-Prefixed-Message as read from the wire (payload still compressed if flagged).</summary>
internal sealed record ReceivedMessage(bool IsCompressed, byte[] Payload);
