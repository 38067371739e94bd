using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ops.Chaos;

/// <summary>
/// A closed loop of clients submitting <c>script.run chaos.mark</c> operations, each with its own
/// <c>Idempotency-Key</c>, retried (same key, same body) on a connection error, a 5xx or a 503
/// (after its <c>Retry-After</c>) until accepted; one in ten accepted keys is sent once more,
/// as a client that lost the answer would. Counts every kind of answer.
/// </summary>
internal sealed class ClosedLoopLoad(OpsApi api, IReadOnlyList<string> agentIds, string runTag, int total, int clients)
{
    private int _next = -1;
    private int _accepted;

    public ConcurrentDictionary<string, ConcurrentBag<string>> OperationIdsByKey { get; } = new(StringComparer.Ordinal);

    public int Accepted => Volatile.Read(ref _accepted);

    public int Responses5xx;
    public int Responses500;
    public int Responses503;
    public int Responses503WithoutRetryAfter;
    public int ConnectionErrors;
    public int Unexpected4xx;
    public int Replays;
    public ConcurrentQueue<string> Anomalies { get; } = new();

    public static string Key(string runTag, int index) => $"{runTag}-{index:D5}";

    public Task RunAsync(CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = clients, CancellationToken = cancellationToken }, async (_, ct) =>
        {
            var random = new Random();
            for (var index = Interlocked.Increment(ref _next); index < total; index = Interlocked.Increment(ref _next))
            {
                var key = Key(runTag, index);
                var body = new
                {
                    kind = "script.run",
                    parameters = new { script = "chaos.mark", arguments = new { tag = key } },
                    target = new { agentIds = new[] { agentIds[index % agentIds.Count] } },
                    timeoutSeconds = 600,
                };
                if (await SubmitAsync(key, body, ct) is { } id)
                {
                    Interlocked.Increment(ref _accepted);
                    if (random.Next(10) == 0 && await SubmitAsync(key, body, ct) is { } again)
                    {
                        Interlocked.Increment(ref Replays);
                        if (again != id)
                        {
                            Anomalies.Enqueue($"key {key}: a retry returned operation {again}, not {id}");
                        }
                    }
                }
            }
        });

    private async Task<string?> SubmitAsync(string key, object body, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/operations") { Content = JsonContent.Create(body) };
                request.Headers.Add("Idempotency-Key", key);
                using var response = await api.Http.SendAsync(request, cancellationToken);
                var status = (int)response.StatusCode;
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var id = (await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken)).GetProperty("id").GetString()!;
                    OperationIdsByKey.GetOrAdd(key, _ => []).Add(id);
                    return id;
                }

                if (status >= 500)
                {
                    Interlocked.Increment(ref Responses5xx);
                    if (status == 500)
                    {
                        Interlocked.Increment(ref Responses500);
                        Anomalies.Enqueue($"key {key}: 500 {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    }

                    if (status == 503)
                    {
                        Interlocked.Increment(ref Responses503);
                        var wait = response.Headers.RetryAfter?.Delta;
                        if (wait is null)
                        {
                            Interlocked.Increment(ref Responses503WithoutRetryAfter);
                        }

                        await Task.Delay(wait is { } w && w < TimeSpan.FromSeconds(5) ? w : TimeSpan.FromSeconds(1), cancellationToken);
                        continue;
                    }

                    await Task.Delay(500, cancellationToken);
                    continue;
                }

                Interlocked.Increment(ref Unexpected4xx);
                Anomalies.Enqueue($"key {key}: {status} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                return null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref ConnectionErrors);
                await Task.Delay(200, cancellationToken);
            }
        }

        Anomalies.Enqueue($"key {key}: never accepted");
        return null;
    }
}
