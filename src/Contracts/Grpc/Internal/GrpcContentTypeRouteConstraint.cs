using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ops.Contracts.Grpc.Internal;

/// <summary>
/// Matches only requests whose content-type starts with <c>application/grpc</c>, so the UNIMPLEMENTED
/// catch-all never swallows REST 404s.
/// </summary>
internal sealed class GrpcContentTypeRouteConstraint : IRouteConstraint
{
    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        routeDirection == RouteDirection.IncomingRequest
        && httpContext is not null
        && GrpcProtocol.StartsWithGrpcContentType(httpContext.Request.ContentType);
}
