using System.Net;
using System.Text.Json;
using Xunit;

namespace Ops.ControlPlane.Tests.TestSupport;

/// <summary>Assertions on RFC 9457 problem responses.</summary>
internal static class ProblemAssert
{
    /// <summary>Asserts <paramref name="status"/> with <c>application/problem+json</c>; returns the parsed body.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Asserts a 400 validation problem whose <c>errors</c> map names <paramref name="field"/>.</summary>
    public static async Task<JsonElement> HasFieldErrorAsync(HttpResponseMessage response, string field)
    {
        var problem = await IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out var errors), $"No errors map in {problem}");
        Assert.True(errors.TryGetProperty(field, out _), $"errors does not name '{field}': {errors}");
        return problem;
    }
}
