using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>
/// Applies <see cref="RequestLimits.MaxBodyBytes"/> to REST requests: a declared
/// <c>Content-Length</c> over the limit is answered at once, and chunked bodies are cut off by
/// the server's body-size feature (surfacing as the same 413 through <see cref="BadRequestExceptionHandler"/>).
/// </summary>
internal sealed class BodySizeLimitMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > RequestLimits.MaxBodyBytes)
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = RequestLimits.MaxBodyBytes;
        }

        return next(context);
    }
}
