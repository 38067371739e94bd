using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>
/// Serves one unary method over HTTP/2 (PROTOCOL-HTTP2.md): validates the request, reads exactly one
/// Length-Prefixed-Message within the size limit, applies <c>grpc-timeout</c>, runs the handler and writes
/// either headers + message + trailers or a Trailers-Only error. No exception escapes to Kestrel.
/// </summary>
internal sealed class UnaryServerCallHandler(
    string fullMethod,
    ServerMethod method,
    GrpcServerOptions options,
    ILogger logger,
    TimeProvider timeProvider,
    CancellationToken stoppingToken)
{
    /// <summary>Timers cannot be longer than this; longer <c>grpc-timeout</c> values keep a deadline but no timer.</summary>
    private static readonly TimeSpan MaxTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private string AcceptEncoding => options.EnableGzip ? GrpcProtocol.SupportedAcceptEncoding : GrpcProtocol.IdentityOnlyAcceptEncoding;

    public async Task HandleAsync(HttpContext httpContext)
    {
        try
        {
            await HandleCoreAsync(httpContext);
        }
        catch (Exception ex)
        {
            // Last line of defence: never let an exception reach Kestrel.
            GrpcServerLog.HandlerFailed(logger, fullMethod, ex);
            if (!GrpcServerResponse.TrySetTrailersOnly(httpContext.Response, StatusCode.Internal, "Internal server error."))
            {
                httpContext.Abort();
            }
        }
    }

    private async Task HandleCoreAsync(HttpContext httpContext)
    {
        var request = httpContext.Request;
        var response = httpContext.Response;

        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            Reject(StatusCode.Internal, $"gRPC requires HTTP/2; the request used {request.Protocol}.");
            GrpcServerResponse.SetHttpError(response, StatusCodes.Status426UpgradeRequired, StatusCode.Internal, "gRPC requires HTTP/2.");
            response.Headers.Connection = "Upgrade";
            response.Headers.Upgrade = "h2c";
            return;
        }

        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            Reject(StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported.");
            GrpcServerResponse.SetHttpError(
                response,
                StatusCodes.Status415UnsupportedMediaType,
                StatusCode.Internal,
                $"Content-Type '{request.ContentType}' is not supported; use application/grpc.");
            return;
        }

        TimeSpan? timeout = null;
        var timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader];
        if (timeoutHeader.Count > 0)
        {
            if (timeoutHeader.Count > 1 || !GrpcTimeout.TryParse(timeoutHeader[0], out var parsed))
            {
                Fail(httpContext, StatusCode.Internal, $"Invalid grpc-timeout value '{timeoutHeader}'.");
                return;
            }

            timeout = parsed;
        }

        var deadline = timeout is { } t ? timeProvider.GetUtcNow() + t : (DateTimeOffset?)null;
        using var deadlineCts = timeout is { } d && d <= MaxTimer ? new CancellationTokenSource(d, timeProvider) : null;
        var deadlineToken = deadlineCts?.Token ?? CancellationToken.None;
        using var callCts = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted, deadlineToken, stoppingToken);

        var maxBodySize = httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (maxBodySize is { IsReadOnly: false } && maxBodySize.MaxRequestBodySize < (long)options.MaxReceiveMessageSize + MessageFraming.HeaderSize)
        {
            maxBodySize.MaxRequestBodySize = null;
        }

        IMessage requestMessage;
        try
        {
            requestMessage = await ReadRequestAsync(httpContext, callCts.Token);
        }
        catch (GrpcProtocolException ex)
        {
            Fail(httpContext, ex.StatusCode, ex.Message, ex.StatusCode == StatusCode.Unimplemented ? AcceptEncoding : null);
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            if (EndForCancellation(httpContext, deadlineToken))
            {
                return;
            }

            Fail(httpContext, StatusCode.Internal, "Failed to read the request message.");
            return;
        }

        var context = new ServerCallContext(
            fullMethod,
            MetadataHeaders.FromAspNetCore(request.Headers),
            deadline,
            callCts.Token,
            GrpcServerResponse.FormatPeer(httpContext),
            httpContext);

        Task<IMessage?> handlerTask;
        try
        {
            handlerTask = method.InvokeAsync(requestMessage, context);
        }
        catch (Exception ex)
        {
            handlerTask = Task.FromException<IMessage?>(ex);
        }

        if (deadlineCts is not null && !handlerTask.IsCompleted)
        {
            var deadlinePassed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (deadlineToken.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), deadlinePassed))
            {
                await Task.WhenAny(handlerTask, deadlinePassed.Task);
            }

            if (!handlerTask.IsCompleted)
            {
                // Answer DEADLINE_EXCEEDED now; the handler's token is already cancelled. Wait for it to
                // finish before returning so it never touches a recycled HttpContext.
                GrpcServerLog.DeadlineExceeded(logger, fullMethod);
                await CompleteWithStatusAsync(httpContext, StatusCode.DeadlineExceeded, "Deadline exceeded.");
                try
                {
                    await handlerTask;
                }
                catch (Exception ex) when (ex is OperationCanceledException || callCts.IsCancellationRequested)
                {
                    // Expected: the handler observed its cancelled token.
                }
                catch (Exception ex)
                {
                    GrpcServerLog.HandlerFailedAfterCallEnded(logger, fullMethod, ex);
                }

                return;
            }
        }

        IMessage? responseMessage;
        try
        {
            responseMessage = await handlerTask;
        }
        catch (RpcException ex)
        {
            GrpcServerLog.CallFailed(logger, fullMethod, ex.StatusCode, ex.Detail);
            var trailers = new Metadata();
            foreach (var entry in context.ResponseTrailers)
            {
                trailers.Add(entry);
            }

            foreach (var entry in ex.Trailers)
            {
                trailers.Add(entry);
            }

            SetTrailersOnly(httpContext, ex.StatusCode, ex.Detail, context.ResponseHeaders, trailers);
            return;
        }
        catch (OperationCanceledException) when (callCts.IsCancellationRequested)
        {
            if (!EndForCancellation(httpContext, deadlineToken))
            {
                SetTrailersOnly(httpContext, StatusCode.Cancelled, "The call was cancelled.");
            }

            return;
        }
        catch (Exception ex)
        {
            GrpcServerLog.HandlerFailed(logger, fullMethod, ex);
            SetTrailersOnly(httpContext, StatusCode.Unknown, "Exception was thrown by handler.");
            return;
        }

        if (responseMessage is null)
        {
            SetTrailersOnly(httpContext, StatusCode.Internal, "The handler returned no response message.");
            return;
        }

        byte[] frame;
        try
        {
            frame = MessageFraming.Frame(responseMessage, options.MaxSendMessageSize, "Sending");
        }
        catch (GrpcProtocolException ex)
        {
            Fail(httpContext, ex.StatusCode, ex.Message);
            return;
        }

        await WriteSuccessAsync(httpContext, context, frame);
    }

    private async Task<IMessage> ReadRequestAsync(HttpContext httpContext, CancellationToken cancellationToken)
    {
        var body = httpContext.Request.Body;
        var received = await MessageFraming.ReadMessageAsync(body, options.MaxReceiveMessageSize, cancellationToken)
            ?? throw new GrpcProtocolException(StatusCode.Internal, "The request carried no message; a unary call needs exactly one.");
        await MessageFraming.EnsureEndOfStreamAsync(body, "request", cancellationToken);

        var payload = received.Payload;
        if (received.IsCompressed)
        {
            var encoding = httpContext.Request.Headers[GrpcProtocol.EncodingHeader].ToString();
            if (encoding.Length == 0 || string.Equals(encoding, GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
            {
                // compression.md, test case 6: a set Compressed-Flag without a grpc-encoding is INTERNAL.
                throw new GrpcProtocolException(StatusCode.Internal, "The compressed flag is set but the request has no grpc-encoding.");
            }

            if (!options.EnableGzip || !string.Equals(encoding, GrpcProtocol.GzipEncoding, StringComparison.OrdinalIgnoreCase))
            {
                throw new GrpcProtocolException(
                    StatusCode.Unimplemented,
                    $"Unsupported grpc-encoding '{encoding}'; supported: {AcceptEncoding}.");
            }

            payload = MessageFraming.DecompressGzip(payload, options.MaxReceiveMessageSize);
        }

        try
        {
            return method.ParseRequest(payload);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidOperationException or ArgumentException)
        {
            throw new GrpcProtocolException(StatusCode.Internal, "Failed to parse the request message.");
        }
    }

    private async Task WriteSuccessAsync(HttpContext httpContext, ServerCallContext context, byte[] frame)
    {
        var response = httpContext.Response;
        try
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = GrpcProtocol.ContentType;
            response.Headers[GrpcProtocol.AcceptEncodingHeader] = AcceptEncoding;
            MetadataHeaders.Write(context.ResponseHeaders, (k, v) => MetadataHeaders.AppendHeader(response.Headers, k, v));

            await response.Body.WriteAsync(frame, httpContext.RequestAborted);

            response.AppendTrailer(GrpcProtocol.StatusHeader, GrpcProtocol.FormatStatus(StatusCode.OK));
            MetadataHeaders.Write(context.ResponseTrailers, (k, v) => response.AppendTrailer(k, v));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException || httpContext.RequestAborted.IsCancellationRequested)
        {
            GrpcServerLog.ResponseWriteFailed(logger, fullMethod, ex);
        }
    }

    /// <summary>Handles a cancellation; true when the call is over (client gone), false when a status should still be sent.</summary>
    private bool EndForCancellation(HttpContext httpContext, CancellationToken deadlineToken)
    {
        if (httpContext.RequestAborted.IsCancellationRequested)
        {
            GrpcServerLog.ClientCancelled(logger, fullMethod);
            return true;
        }

        if (deadlineToken.IsCancellationRequested)
        {
            GrpcServerLog.DeadlineExceeded(logger, fullMethod);
            SetTrailersOnly(httpContext, StatusCode.DeadlineExceeded, "Deadline exceeded.");
            return true;
        }

        if (stoppingToken.IsCancellationRequested)
        {
            GrpcServerLog.ShuttingDown(logger, fullMethod);
            SetTrailersOnly(httpContext, StatusCode.Unavailable, "The server is shutting down.");
            return true;
        }

        return false;
    }

    private async Task CompleteWithStatusAsync(HttpContext httpContext, StatusCode statusCode, string detail)
    {
        SetTrailersOnly(httpContext, statusCode, detail);
        try
        {
            await httpContext.Response.CompleteAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            GrpcServerLog.ResponseWriteFailed(logger, fullMethod, ex);
        }
    }

    private void Reject(StatusCode statusCode, string detail) =>
        GrpcServerLog.CallRejected(logger, fullMethod, statusCode, detail);

    private void Fail(HttpContext httpContext, StatusCode statusCode, string detail, string? acceptEncoding = null)
    {
        Reject(statusCode, detail);
        SetTrailersOnly(httpContext, statusCode, detail, acceptEncoding: acceptEncoding);
    }

    private void SetTrailersOnly(
        HttpContext httpContext,
        StatusCode statusCode,
        string detail,
        Metadata? headers = null,
        Metadata? trailers = null,
        string? acceptEncoding = null)
    {
        if (!GrpcServerResponse.TrySetTrailersOnly(httpContext.Response, statusCode, detail, headers, trailers, acceptEncoding ?? AcceptEncoding))
        {
            httpContext.Abort();
        }
    }
}
