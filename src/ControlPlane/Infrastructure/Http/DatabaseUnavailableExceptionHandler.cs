using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// Answers a transient database failure (the server restarting or unreachable, a broken
/// connection, an exhausted pool: any <see cref="NpgsqlException"/> that is not a server error;
/// a server error that <see cref="NpgsqlException.IsTransient"/> calls transient, such as
/// 57P01 admin shutdown, 57P03 cannot connect now, 40001 serialization failure)
/// with 503 Service Unavailable, a <c>Retry-After</c> header (RFC 9110 §10.2.3) and problem
/// details, instead of a 500: the client may retry, and a submission retried with the same
/// <c>Idempotency-Key</c> is created at most once (DESIGN.md §5). <c>/health/ready</c> says 503
/// at the same time.
/// </summary>
internal sealed class DatabaseUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait before retrying (the <c>Retry-After</c> value).</summary>
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsTransient(exception) || httpContext.Response.HasStarted)
        {
            return false;
        }

        HttpLog.DatabaseUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, RetryAfterSeconds, exception);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable.",
                Detail = $"Retry in {RetryAfterSeconds} s. A submission retried with the same Idempotency-Key is created at most once.",
                Type = "https://tools.ietf.org/html/rfc9110#section-15.6.4",
            },
        });
    }

    /// <summary>True when <paramref name="exception"/> or one it wraps is a transient Npgsql failure (the first Npgsql exception found decides).</summary>
    public static bool IsTransient(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException server:
                    return server.IsTransient;
                case NpgsqlException:
                    return true; // the conversation with the server failed (network, protocol, pool)
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsTransient):
                    return true;
            }
        }

        return false;
    }
}
