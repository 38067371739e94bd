namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Size limits of REST requests.</summary>
internal static class RequestLimits
{
    /// <summary>Largest REST request body, in bytes (1 MiB); larger bodies get 400 naming <c>body</c>.</summary>
    public const long MaxBodyBytes = 1024 * 1024;
}
