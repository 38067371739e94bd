using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>One unary call on the client side (PROTOCOL-HTTP2.md "Requests" / "Responses").</summary>
internal sealed class UnaryClientCall(HttpClient httpClient, Uri uri, GrpcChannelOptions channelOptions, TimeProvider timeProvider)
{
    private static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    public async Task<UnaryResponse<TResponse>> InvokeAsync<TRequest, TResponse>(
        TRequest request,
        MessageParser<TResponse> parser,
        CallOptions callOptions)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        var cancellationToken = callOptions.CancellationToken;
        if (cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(StatusCode.Cancelled, "The call was cancelled before it started.");
        }

        byte[] frame;
        try
        {
            frame = MessageFraming.Frame(request, channelOptions.MaxSendMessageSize, "Sending");
        }
        catch (GrpcProtocolException ex)
        {
            throw ex.ToRpcException();
        }

        TimeSpan? timeout = null;
        if (callOptions.Deadline is { } deadline)
        {
            timeout = deadline - timeProvider.GetUtcNow();
            if (timeout <= TimeSpan.Zero)
            {
                throw new RpcException(StatusCode.DeadlineExceeded, "The deadline had passed before the call started.");
            }
        }

        using var deadlineCts = timeout is { } t && t <= MaxTimer ? new CancellationTokenSource(t, timeProvider) : null;
        using var callCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadlineCts?.Token ?? CancellationToken.None);

        using var httpRequest = CreateRequest(frame, timeout, callOptions.Headers);
        try
        {
            using var response = await httpClient
                .SendAsync(httpRequest, HttpCompletionOption.ResponseHeadersRead, callCts.Token)
                .ConfigureAwait(false);
            return await ReadResponseAsync(response, parser, callCts.Token).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception ex) when (deadlineCts?.IsCancellationRequested == true)
        {
            throw new RpcException(StatusCode.DeadlineExceeded, "Deadline exceeded.", ex);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(StatusCode.Cancelled, "The call was cancelled.", ex);
        }
        catch (Exception ex) when (FindProtocolError(ex) is { } protocolError)
        {
            throw new RpcException(
                GrpcProtocol.MapHttp2ErrorCode(protocolError.ErrorCode),
                $"The HTTP/2 stream was reset (error code {protocolError.ErrorCode}).",
                ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new RpcException(StatusCode.Unavailable, "Error communicating with the server: " + ex.Message, ex);
        }
    }

    private static HttpProtocolException? FindProtocolError(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpProtocolException protocolException)
            {
                return protocolException;
            }
        }

        return null;
    }

    private HttpRequestMessage CreateRequest(byte[] frame, TimeSpan? timeout, Metadata? headers)
    {
        var content = new ByteArrayContent(frame);
        content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        var httpRequest = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var requestHeaders = httpRequest.Headers;
        requestHeaders.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (timeout is { } t)
        {
            requestHeaders.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(t));
        }

        requestHeaders.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, GrpcProtocol.SupportedAcceptEncoding);
        requestHeaders.TryAddWithoutValidation("user-agent", GrpcProtocol.UserAgent);
        MetadataHeaders.Write(headers, (k, v) => requestHeaders.TryAddWithoutValidation(k, v));
        return httpRequest;
    }

    private async Task<UnaryResponse<TResponse>> ReadResponseAsync<TResponse>(
        HttpResponseMessage response,
        MessageParser<TResponse> parser,
        CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var httpStatus = (int)response.StatusCode;
            throw new RpcException(
                GrpcProtocol.MapHttpStatus(httpStatus),
                $"Bad gRPC response. HTTP status code: {httpStatus}.");
        }

        var responseHeaders = MetadataHeaders.FromHttpClient(response.Headers);
        var headerStatus = MetadataHeaders.GetFirst(response.Headers, GrpcProtocol.StatusHeader);
        if (headerStatus is not null)
        {
            // Trailers-Only: the status and the trailers travel in the only HEADERS frame.
            var (code, detail) = ReadStatus(response.Headers);
            if (code != StatusCode.OK)
            {
                throw new RpcException(code, detail, responseHeaders);
            }

            throw new RpcException(StatusCode.Internal, "Failed to deserialize response message: the server sent no message.", responseHeaders);
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.StartsWithGrpcContentType(contentType))
        {
            throw new RpcException(StatusCode.Internal, $"Bad gRPC response. Invalid content-type value: '{contentType}'.");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            ReceivedMessage? received;
            try
            {
                received = await MessageFraming.ReadMessageAsync(stream, channelOptions.MaxReceiveMessageSize, cancellationToken).ConfigureAwait(false);
                if (received is not null)
                {
                    await MessageFraming.EnsureEndOfStreamAsync(stream, "response", cancellationToken).ConfigureAwait(false);
                }
            }
            catch (GrpcProtocolException ex)
            {
                throw ex.ToRpcException();
            }

            var trailers = MetadataHeaders.FromHttpClient(response.TrailingHeaders);
            if (MetadataHeaders.GetFirst(response.TrailingHeaders, GrpcProtocol.StatusHeader) is null)
            {
                throw new RpcException(StatusCode.Internal, "No grpc-status found on the response.", trailers);
            }

            var (statusCode, statusDetail) = ReadStatus(response.TrailingHeaders);
            if (statusCode != StatusCode.OK)
            {
                throw new RpcException(statusCode, statusDetail, trailers);
            }

            if (received is null)
            {
                throw new RpcException(StatusCode.Internal, "Failed to deserialize response message: the server sent no message.", trailers);
            }

            var payload = received.Payload;
            if (received.IsCompressed)
            {
                var encoding = MetadataHeaders.GetFirst(response.Headers, GrpcProtocol.EncodingHeader);
                if (!string.Equals(encoding, GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase))
                {
                    // compression.md: data compressed with an algorithm the client does not support is INTERNAL.
                    throw new RpcException(
                        StatusCode.Internal,
                        $"The response is compressed with unsupported grpc-encoding '{encoding}'; supported: {GrpcProtocol.SupportedAcceptEncoding}.",
                        trailers);
                }

                try
                {
                    payload = MessageFraming.DecompressGzip(payload, channelOptions.MaxReceiveMessageSize);
                }
                catch (GrpcProtocolException ex)
                {
                    throw ex.ToRpcException();
                }
            }

            TResponse message;
            try
            {
                message = parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(StatusCode.Internal, "Failed to deserialize response message.", ex);
            }

            return new UnaryResponse<TResponse>(message, responseHeaders, trailers);
        }
    }

    private static (StatusCode Code, string Detail) ReadStatus(HttpHeaders headers)
    {
        var statusValue = MetadataHeaders.GetFirst(headers, GrpcProtocol.StatusHeader);
        if (!GrpcProtocol.TryParseStatus(statusValue, out var code))
        {
            return (StatusCode.Unknown, $"Invalid grpc-status value '{statusValue}'.");
        }

        var message = MetadataHeaders.GetFirst(headers, GrpcProtocol.MessageHeader);
        return (code, message is null ? string.Empty : PercentEncoding.Decode(message));
    }
}
