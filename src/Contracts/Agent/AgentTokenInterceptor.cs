using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Ops.Contracts.Agent;

/// <summary>
/// Adds <c>authorization: Bearer &lt;agent_token&gt;</c> to every call of
/// <c>ops.agent.v1.AgentService</c> once the agent has a token (DESIGN.md §4: every call except
/// <c>Enroll</c> carries it). An interceptor rather than <see cref="CallCredentials"/>, which
/// Grpc.Net.Client only sends over TLS unless told otherwise, and agents may use h2c on loopback.
/// </summary>
/// <param name="token">Returns the current agent token, or <c>null</c>/empty before enrollment.</param>
public sealed class AgentTokenInterceptor(Func<string?> token) : Interceptor
{
    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (token() is { Length: > 0 } value && context.Method.Name != "Enroll")
        {
            var headers = context.Options.Headers ?? [];
            if (headers.Get("authorization") is null)
            {
                headers.Add("authorization", "Bearer " + value);
            }

            context = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
        }

        return continuation(request, context);
    }
}
