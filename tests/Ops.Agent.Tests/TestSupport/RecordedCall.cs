using Google.Protobuf;

namespace Ops.Agent.Tests.TestSupport;

/// <summary>One RPC received by the <see cref="FakeControlPlane"/>.</summary>
public sealed record RecordedCall(string Method, IMessage Request, string? Authorization, DateTimeOffset At);
