using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Ops.ControlPlane.Infrastructure.Auth;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>Who is calling: JWT <c>sub</c> and <c>role</c>, the client address and the W3C trace id of the request.</summary>
internal sealed record Caller(string Subject, string? Role, string? ClientAddress, string? TraceId)
{
    /// <summary>Reads the caller from an authenticated request.</summary>
    public static Caller From(HttpContext context)
    {
        var user = context.User;
        return new Caller(
            user.FindFirstValue("sub") ?? "anonymous",
            user.FindFirstValue(Roles.ClaimType),
            context.Connection.RemoteIpAddress?.ToString(),
            Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier);
    }

    /// <summary>True when the caller's role is <paramref name="minimum"/> or higher.</summary>
    public bool HasRole(string minimum) => Role is not null && Roles.AtLeast(minimum).Contains(Role);
}
