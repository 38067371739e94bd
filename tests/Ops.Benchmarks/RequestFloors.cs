using System.Diagnostics;
using System.Text;

namespace Ops.Benchmarks;

/// <summary>
/// p50 latencies (ms) of requests cheaper than a submit, measured sequentially after warm-up, to
/// split where the POST's time goes: the HTTP floor, the authenticated and validated request
/// without a database, and an authenticated single-query read.
/// </summary>
internal sealed record RequestFloors(double HealthP50, double RejectedPostP50, double GetAgentP50)
{
    public static async Task<RequestFloors> MeasureAsync(HttpClient api, string agentId, int samples, CancellationToken cancellationToken)
    {
        var health = await P50Async(() => api.GetAsync("/health/live", cancellationToken), samples);
        var rejected = await P50Async(
            () => api.PostAsync(
                "/api/v1/operations",
                new StringContent("""{"kind":"no.such.kind","target":{"all":true}}""", Encoding.UTF8, "application/json"),
                cancellationToken),
            samples);
        var agent = await P50Async(() => api.GetAsync($"/api/v1/agents/{agentId}", cancellationToken), samples);
        return new RequestFloors(health, rejected, agent);
    }

    private static async Task<double> P50Async(Func<Task<HttpResponseMessage>> send, int samples)
    {
        var times = new List<double>();
        for (var i = 0; i < samples + 20; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            using var response = await send();
            await response.Content.ReadAsByteArrayAsync();
            if (i >= 20)
            {
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }

        return Percentiles.Of(times, 50);
    }
}
