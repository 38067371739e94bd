using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ops.Chaos;

/// <summary>The REST calls the chaos scenarios make, as an admin.</summary>
internal sealed class OpsApi(Uri baseAddress, string token) : IDisposable
{
    public string Token => token;

    private static readonly string[] Terminal = ["succeeded", "failed", "cancelled", "timed_out", "rejected", "expired"];

    public HttpClient Http { get; } = new()
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
    };

    public static bool IsTerminal(string? status) => status is not null && Terminal.Contains(status);

    public async Task<string> CreateEnrollmentTokenAsync(int maxUses, CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/enrollment-tokens", new { maxUses, expiresInMinutes = 60 }, cancellationToken);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("token").GetString()!;
    }

    /// <summary>GET with retries over a control-plane restart or a database outage (connection errors, 503).</summary>
    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await Http.GetAsync(path, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                }

                if ((int)response.StatusCode < 500 || attempt > 100)
                {
                    throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (HttpRequestException) when (attempt < 100)
            {
            }

            await Task.Delay(300, cancellationToken);
        }
    }

    /// <summary>Every operation of the run tagged <paramref name="runTag"/> (the tags of <c>chaos.mark</c>), read page by page.</summary>
    public async Task<List<JsonElement>> ListOperationsAsync(string runTag, CancellationToken cancellationToken)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await GetAsync($"/api/v1/operations?kind=script.run&limit=200{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", cancellationToken);
            foreach (var op in page.GetProperty("items").EnumerateArray())
            {
                if (TagOf(op) is { } tag && tag.StartsWith(runTag, StringComparison.Ordinal))
                {
                    all.Add(op.Clone());
                }
            }

            cursor = page.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);

        return all;
    }

    public static string? TagOf(JsonElement operation) =>
        operation.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object
        && p.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object
        && a.TryGetProperty("tag", out var t) ? t.GetString() : null;

    public void Dispose() => Http.Dispose();
}
