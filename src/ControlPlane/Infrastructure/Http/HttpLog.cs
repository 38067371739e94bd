using Microsoft.Extensions.Logging;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Logs of the REST pipeline.</summary>
internal static partial class HttpLog
{
    [LoggerMessage(300, LogLevel.Warning, "The database is unavailable for {Method} {Path}; answered 503 with Retry-After {RetryAfterSeconds} s")]
    public static partial void DatabaseUnavailable(ILogger logger, string method, string path, int retryAfterSeconds, Exception exception);
}
