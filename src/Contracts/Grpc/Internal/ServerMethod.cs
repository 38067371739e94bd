using Google.Protobuf;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>A method of a <see cref="GrpcServiceDefinition"/>, independent of its message types.</summary>
internal abstract class ServerMethod(string name)
{
    public string Name { get; } = name;

    /// <summary>Parses the request payload; throws <see cref="InvalidProtocolBufferException"/> for bad input.</summary>
    public abstract IMessage ParseRequest(byte[] payload);

    /// <summary>Runs the handler.</summary>
    public abstract Task<IMessage?> InvokeAsync(IMessage request, ServerCallContext context);
}
