using System.Net;
using System.Text.Json;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Approvals;

/// <summary>Requests and reads of the approval tests, over the real REST API.</summary>
internal static class ApprovalTestSupport
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>Submits <c>postgres.restore</c> as <paramref name="client"/>; asserts 202 and returns the operation.</summary>
    public static async Task<JsonElement> RequestRestoreAsync(HttpClient client, object target, string file = "demo-20260101-000000.dump", object? tables = null, int? timeoutSeconds = null)
    {
        var response = await client.PostJsonAsync("/api/v1/operations", new
        {
            kind = "postgres.restore",
            parameters = tables is null ? (object)new { database = "demo", file } : new { database = "demo", file, tables },
            target,
            timeoutSeconds,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }

    public static async Task<JsonElement> GetAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadJsonAsync();
    }

    public static Task<HttpResponseMessage> DecideAsync(HttpClient client, Guid approvalId, string verdict, string? comment = null) =>
        client.PostJsonAsync($"/api/v1/approvals/{approvalId}/{verdict}", new { comment });

    /// <summary>Polls <paramref name="probe"/> until it returns true or a generous timeout passes (no timing assertion).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> probe, string what)
    {
        var until = DateTime.UtcNow + Generous;
        while (DateTime.UtcNow < until)
        {
            if (await probe())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Timed out waiting for {what}.");
    }
}
