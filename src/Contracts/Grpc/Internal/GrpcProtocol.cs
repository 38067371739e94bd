using System.Globalization;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>Names and small rules from PROTOCOL-HTTP2.md shared by the client and the server.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TeHeader = "te";
    public const string IdentityEncoding = "identity";
    public const string GzipEncoding = "gzip";
    public const string SupportedAcceptEncoding = "identity,gzip";
    public const string IdentityOnlyAcceptEncoding = "identity";
    public const string UserAgent = "grpc-csharp-ops/1.0";

    /// <summary>Headers that are part of the HTTP/2 or gRPC framing and never surface as custom metadata.</summary>
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "te", "user-agent", "host", "accept-encoding", "content-length", "content-encoding",
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "trailer",
    };

    /// <summary>
    /// True when <paramref name="contentType"/> is <c>application/grpc</c> or <c>application/grpc+proto</c>,
    /// optionally followed by parameters (<c>;charset=...</c>).
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        if (semicolon >= 0)
        {
            mediaType = mediaType[..semicolon];
        }

        mediaType = mediaType.Trim();
        return mediaType.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/grpc+proto", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True when the content type starts with <c>application/grpc</c> (any subtype suffix).</summary>
    public static bool StartsWithGrpcContentType(string? contentType) =>
        contentType is not null && contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>True for pseudo headers, <c>grpc-*</c> headers and HTTP framing headers.</summary>
    public static bool IsReservedHeader(string name) =>
        name.Length == 0
        || name[0] == ':'
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || ReservedHeaders.Contains(name);

    /// <summary>Parses a <c>grpc-status</c> value (1*DIGIT); unknown numbers map to <see cref="StatusCode.Unknown"/>.</summary>
    public static bool TryParseStatus(string? value, out StatusCode statusCode)
    {
        if (value is not null
            && value.Length is > 0 and <= 10
            && value.All(char.IsAsciiDigit)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            statusCode = number <= (int)StatusCode.Unauthenticated ? (StatusCode)number : StatusCode.Unknown;
            return true;
        }

        statusCode = StatusCode.Unknown;
        return false;
    }

    /// <summary>Formats a status code for the <c>grpc-status</c> header.</summary>
    public static string FormatStatus(StatusCode statusCode) => ((int)statusCode).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Maps a non-200 HTTP status to a gRPC status ("HTTP to gRPC Status Code Mapping",
    /// doc/http-grpc-status-mapping.md): 400 INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED,
    /// 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, anything else UNKNOWN.
    /// </summary>
    public static StatusCode MapHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>Maps an HTTP/2 RST_STREAM / GOAWAY error code (PROTOCOL-HTTP2.md "Errors").</summary>
    public static StatusCode MapHttp2ErrorCode(long errorCode) => errorCode switch
    {
        0x7 => StatusCode.Unavailable,        // REFUSED_STREAM
        0x8 => StatusCode.Cancelled,          // CANCEL
        0xb => StatusCode.ResourceExhausted,  // ENHANCE_YOUR_CALM
        0xc => StatusCode.PermissionDenied,   // INADEQUATE_SECURITY
        _ => StatusCode.Internal,
    };
}
