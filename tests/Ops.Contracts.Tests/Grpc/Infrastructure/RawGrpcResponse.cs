namespace Ops.Contracts.Tests.Grpc.Infrastructure;

/// <summary>A raw HTTP/2 response: status, headers (incl. content headers), trailers and body bytes.</summary>
public sealed record RawGrpcResponse(
    int HttpStatus,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyDictionary<string, string> Trailers,
    byte[] Body)
{
    /// <summary>grpc-status from the trailers, or from the headers of a Trailers-Only response.</summary>
    public string? GrpcStatus => Trailers.GetValueOrDefault("grpc-status") ?? Headers.GetValueOrDefault("grpc-status");

    public bool IsTrailersOnly => Headers.ContainsKey("grpc-status") && Trailers.Count == 0 && Body.Length == 0;
}
