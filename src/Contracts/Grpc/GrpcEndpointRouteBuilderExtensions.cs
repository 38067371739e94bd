using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Contracts.Grpc.Internal;

namespace Ops.Contracts.Grpc;

/// <summary>Maps <see cref="GrpcServiceDefinition"/>s onto ASP.NET Core endpoint routing.</summary>
public static class GrpcEndpointRouteBuilderExtensions
{
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> CatchAllMapped = [];

    /// <summary>
    /// Maps <c>POST /{service}/{method}</c> for every method of <paramref name="definition"/>, plus (once per
    /// route builder) a catch-all <c>POST /{service}/{method}</c> that answers UNIMPLEMENTED for unknown methods
    /// and services. The catch-all only matches requests whose content-type starts with
    /// <c>application/grpc</c>, so REST 404s are untouched. The endpoint must be served over HTTP/2
    /// (Kestrel <c>HttpProtocols.Http2</c> for h2c, or ALPN under TLS); other protocols get HTTP 426, and
    /// a content-type other than <c>application/grpc[+proto]</c> gets HTTP 415 (PROTOCOL-HTTP2.md).
    /// Handlers' cancellation tokens also fire when the application starts stopping; such calls end
    /// with UNAVAILABLE.
    /// </summary>
    /// <param name="endpoints">The route builder (the app or a route group).</param>
    /// <param name="definition">The service and its methods.</param>
    /// <param name="options">Limits; defaults to 4 MiB each way with gzip requests accepted.</param>
    /// <returns>A convention builder applying to all method endpoints (not the catch-all).</returns>
    public static IEndpointConventionBuilder MapGrpcService(
        this IEndpointRouteBuilder endpoints,
        GrpcServiceDefinition definition,
        GrpcServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(definition);
        options ??= new GrpcServerOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxReceiveMessageSize);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxSendMessageSize);

        var services = endpoints.ServiceProvider;
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Ops.Contracts.Grpc.Server");
        var timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;

        var builders = new List<IEndpointConventionBuilder>();
        foreach (var method in definition.Methods)
        {
            var fullMethod = $"/{definition.ServiceName}/{method.Name}";
            var handler = new UnaryServerCallHandler(fullMethod, method, options, logger, timeProvider, stopping);
            builders.Add(endpoints
                .MapMethods(fullMethod, ["POST"], handler.HandleAsync)
                .WithDisplayName($"gRPC {fullMethod}"));
        }

        lock (CatchAllMapped)
        {
            if (!CatchAllMapped.TryGetValue(endpoints, out _))
            {
                CatchAllMapped.Add(endpoints, new object());
                var pattern = RoutePatternFactory.Parse(
                    "/{service}/{method}",
                    defaults: null,
                    parameterPolicies: new RouteValueDictionary { ["service"] = new GrpcContentTypeRouteConstraint() });
                var unimplemented = new UnimplementedCallHandler(logger);
                endpoints.Map(pattern, unimplemented.HandleAsync)
                    .WithMetadata(new HttpMethodMetadata(["POST"]))
                    .WithDisplayName("gRPC unimplemented method");
            }
        }

        return new CompositeEndpointConventionBuilder(builders);
    }
}
