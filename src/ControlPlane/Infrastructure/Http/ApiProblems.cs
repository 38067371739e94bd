using Microsoft.AspNetCore.Http.HttpResults;

namespace Ops.ControlPlane.Infrastructure.Http;

/// <summary>The problem responses several routes share (RFC 9457).</summary>
internal static class ApiProblems
{
    /// <summary>404 naming what was looked for, e.g. <c>No job 0193….</c></summary>
    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem($"No {what}.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
