using Microsoft.AspNetCore.Http;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>Writes gRPC responses onto an ASP.NET Core <see cref="HttpResponse"/>.</summary>
internal static class GrpcServerResponse
{
    /// <summary>
    /// Prepares a Trailers-Only response (PROTOCOL-HTTP2.md "Responses"): HTTP 200,
    /// <c>content-type: application/grpc</c>, <c>grpc-status</c>, percent-encoded <c>grpc-message</c> and
    /// custom metadata, all in the single HEADERS frame that ends the stream once the request delegate
    /// returns without writing a body. Returns false when the response has already started.
    /// </summary>
    public static bool TrySetTrailersOnly(
        HttpResponse response,
        StatusCode statusCode,
        string? detail,
        Metadata? headers = null,
        Metadata? trailers = null,
        string? acceptEncoding = null)
    {
        if (response.HasStarted)
        {
            return false;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        var responseHeaders = response.Headers;
        responseHeaders[GrpcProtocol.StatusHeader] = GrpcProtocol.FormatStatus(statusCode);
        if (!string.IsNullOrEmpty(detail))
        {
            responseHeaders[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(detail);
        }

        if (acceptEncoding is not null)
        {
            responseHeaders[GrpcProtocol.AcceptEncodingHeader] = acceptEncoding;
        }

        MetadataHeaders.Write(headers, (k, v) => MetadataHeaders.AppendHeader(responseHeaders, k, v));
        MetadataHeaders.Write(trailers, (k, v) => MetadataHeaders.AppendHeader(responseHeaders, k, v));
        return true;
    }

    /// <summary>Writes a non-gRPC HTTP error (415, 426) that still carries a gRPC status for gRPC clients.</summary>
    public static void SetHttpError(HttpResponse response, int httpStatus, StatusCode statusCode, string detail)
    {
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = httpStatus;
        response.Headers[GrpcProtocol.StatusHeader] = GrpcProtocol.FormatStatus(statusCode);
        response.Headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(detail);
    }

    /// <summary>Formats the peer in gRPC form: <c>ipv4:a.b.c.d:port</c>, <c>ipv6:[addr]:port</c>.</summary>
    public static string FormatPeer(HttpContext httpContext)
    {
        var address = httpContext.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }

        var port = httpContext.Connection.RemotePort;
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"ipv6:[{address}]:{port}"
            : $"ipv4:{address}:{port}";
    }
}
