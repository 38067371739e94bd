namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Size limits of REST requests.</summary>
internal static class RequestLimits
{
    /// <summary>Largest REST request body, in bytes (1 MiB); larger bodies (declared by <c>Content-Length</c> or chunked) get 413 problem details naming <c>body</c>.</summary>
    public const long MaxBodyBytes = 1024 * 1024;
}
