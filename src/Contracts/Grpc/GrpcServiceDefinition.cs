using Google.Protobuf;
using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Grpc;

/// <summary>
/// A gRPC service: its fully qualified name (<c>package.Service</c>, PROTOCOL-HTTP2.md Appendix A
/// "Service-Name") and its unary methods, each served at <c>POST /{service}/{method}</c>.
/// Map it with <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcService"/>.
/// </summary>
public sealed class GrpcServiceDefinition
{
    private readonly List<ServerMethod> methods = [];

    /// <summary>Creates an empty service definition.</summary>
    /// <param name="serviceName">Fully qualified service name, e.g. <c>ops.agent.v1.AgentService</c>.</param>
    /// <exception cref="ArgumentException">The name is empty or contains '/'.</exception>
    public GrpcServiceDefinition(string serviceName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        if (serviceName.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A service name must not contain '/'.", nameof(serviceName));
        }

        ServiceName = serviceName;
    }

    /// <summary>The fully qualified service name.</summary>
    public string ServiceName { get; }

    /// <summary>The names of the registered methods, in registration order.</summary>
    public IReadOnlyList<string> MethodNames => methods.Select(m => m.Name).ToList();

    internal IReadOnlyList<ServerMethod> Methods => methods;

    /// <summary>
    /// Adds a unary method. The handler receives the parsed request and the call context and returns
    /// the response; it ends the call with a non-OK status by throwing <see cref="RpcException"/>. Any other
    /// exception ends the call with <see cref="StatusCode.Unknown"/> and a generic message (the exception is
    /// logged, never sent).
    /// </summary>
    /// <typeparam name="TRequest">Request message type.</typeparam>
    /// <typeparam name="TResponse">Response message type.</typeparam>
    /// <param name="methodName">Method name as in the .proto, e.g. <c>Pull</c>.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This definition, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is empty, contains '/', or is already registered.</exception>
    public GrpcServiceDefinition AddUnaryMethod<TRequest, TResponse>(
        string methodName,
        Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(methodName);
        ArgumentNullException.ThrowIfNull(handler);
        if (methodName.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A method name must not contain '/'.", nameof(methodName));
        }

        if (methods.Any(m => m.Name == methodName))
        {
            throw new ArgumentException($"Method '{methodName}' is already registered on '{ServiceName}'.", nameof(methodName));
        }

        methods.Add(new UnaryServerMethod<TRequest, TResponse>(methodName, handler));
        return this;
    }
}
