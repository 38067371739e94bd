using Google.Protobuf;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>A unary method bound to its request parser and handler.</summary>
internal sealed class UnaryServerMethod<TRequest, TResponse>(
    string name,
    Func<TRequest, ServerCallContext, Task<TResponse>> handler) : ServerMethod(name)
    where TRequest : IMessage<TRequest>, new()
    where TResponse : IMessage<TResponse>
{
    private static readonly MessageParser<TRequest> Parser = new(() => new TRequest());

    public override IMessage ParseRequest(byte[] payload) => Parser.ParseFrom(payload);

    public override async Task<IMessage?> InvokeAsync(IMessage request, ServerCallContext context) =>
        await handler((TRequest)request, context).ConfigureAwait(false);
}
