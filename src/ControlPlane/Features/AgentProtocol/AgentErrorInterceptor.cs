using Grpc.Core;
using Grpc.Core.Interceptors;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Http;

namespace Ops.ControlPlane.Features.AgentProtocol;

/// <summary>
/// Maps what escapes an agent RPC handler to a status the agent can act on (DESIGN.md §4), never
/// UNKNOWN: a transient database failure (the server restarting, a broken connection, an
/// exhausted pool: <see cref="DatabaseUnavailableExceptionHandler.IsTransient"/>, as REST answers
/// 503) is UNAVAILABLE, which the agent retries with backoff; a value PostgreSQL refuses as data
/// (SQLSTATE class 22: out of range, invalid text) is INVALID_ARGUMENT, which it does not retry.
/// </summary>
internal sealed class AgentErrorInterceptor(ILogger<AgentErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (ex is not RpcException && !context.CancellationToken.IsCancellationRequested && DatabaseUnavailableExceptionHandler.IsTransient(ex))
        {
            DispatchLog.DatabaseUnavailable(logger, context.Method, ex);
            throw new RpcException(new Status(StatusCode.Unavailable, "The database is unavailable; retry with backoff."));
        }
        catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"A value cannot be stored: {ex.MessageText}"));
        }
    }
}
