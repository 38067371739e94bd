using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>queue.check</c> (seed 003 "Files d'attente RabbitMQ qui s'allongent", seed 004's Celery
/// queues): <c>GET {url}/api/queues/{vhost}/{queue}</c> of the RabbitMQ management plugin's HTTP API
/// (both path segments percent-encoded, so vhost <c>/</c> is <c>%2F</c>) on an endpoint of
/// <c>Policy:RabbitMq:Endpoints</c>, authenticated with its <c>Policy:Http:Credentials</c> entry
/// (sent only when its <c>AllowedUrls</c> cover the request). Reads the documented queue object:
/// <c>messages</c>, <c>messages_ready</c>, <c>messages_unacknowledged</c>, <c>consumers</c>,
/// <c>state</c>, and the publish / deliver rates of <c>message_stats</c> when present. Checks:
/// <c>messages</c> ≤ <c>maxMessages</c>, <c>consumers</c> ≥ <c>minConsumers</c>. A 404 (unknown
/// queue or vhost), a 401 (bad credential), another status or an unreadable answer fails the job.
/// Result <c>{endpoint, vhost, queue, state, messages, messagesReady, messagesUnacknowledged,
/// consumers, publishRate, deliverRate, checks[{name, ok, detail}], ok}</c>.
/// </summary>
internal sealed class QueueCheckExecutor(IOptions<PolicyOptions> policy, TimeProvider timeProvider) : IOperationExecutor, IDisposable
{
    /// <summary>Answer bytes read at most: 1 MiB (a queue object is a few KiB).</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Timeout of the API call: 15 s.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly HttpClient client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.All,
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        MaxResponseContentBufferSize = MaxBodyBytes,
    };

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.QueueCheck.Name;

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    /// <summary>The management API URL of a queue: <c>{base}/api/queues/{vhost}/{queue}</c>, segments percent-encoded.</summary>
    public static Uri QueueUrl(string baseUrl, string vhost, string queue)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        return new Uri($"{baseUrl.TrimEnd('/')}/api/queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}", UriKind.Absolute);
    }

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (QueueCheckParameters)job.Parameters;
        var options = policy.Value;
        if (!options.RabbitMq.Endpoints.TryGetValue(parameters.Endpoint, out var endpoint))
        {
            var known = options.RabbitMq.Endpoints.Count == 0 ? "none configured" : "known: " + string.Join(", ", options.RabbitMq.Endpoints.Keys.Order(StringComparer.Ordinal));
            return ExecutorResult.Failure($"rabbitmq endpoint '{parameters.Endpoint}' is not in this agent's policy (Policy:RabbitMq:Endpoints; {known})");
        }

        var vhost = parameters.Vhost ?? endpoint.Vhost ?? "/";
        var url = QueueUrl(endpoint.Url!, vhost, parameters.Queue);
        var key = $"Policy:RabbitMq:Endpoints:{parameters.Endpoint}";
        if (endpoint.Credential is not { } credentialName || !options.Http.Credentials.TryGetValue(credentialName, out var entry))
        {
            return ExecutorResult.Failure($"{key}:Credential '{endpoint.Credential}' is not in Policy:Http:Credentials");
        }

        if (!HttpCredential.TryResolve(credentialName, entry, out var credential, out var error))
        {
            return ExecutorResult.Failure(error!);
        }

        if (!UrlPrefix.AnyCovers(credential!.AllowedUrls, url))
        {
            return ExecutorResult.Failure($"credential '{credentialName}' may not be sent to '{url}' (Policy:Http:Credentials:{credentialName}:AllowedUrls)");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.UserAgent.ParseAdd("ops-agent-queue-check/1");
        request.Headers.TryAddWithoutValidation(credential.HeaderName, credential.HeaderValue);
        using var timeout = new CancellationTokenSource(Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        JsonDocument document;
        try
        {
            using var response = await client.SendAsync(request, linked.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var reason = ErrorReason(body);
                return ExecutorResult.Failure(response.StatusCode switch
                {
                    HttpStatusCode.NotFound => $"queue '{parameters.Queue}' does not exist in vhost '{vhost}' of '{parameters.Endpoint}' (404{reason})",
                    HttpStatusCode.Unauthorized => $"'{parameters.Endpoint}' refused credential '{credentialName}' (401{reason})",
                    HttpStatusCode.Forbidden => $"credential '{credentialName}' may not read vhost '{vhost}' of '{parameters.Endpoint}' (403{reason})",
                    _ => $"GET {url} -> {(int)response.StatusCode}{reason}",
                });
            }

            document = JsonDocument.Parse(body);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return ExecutorResult.Failure($"GET {url}: no answer within {Timeout.TotalSeconds} s");
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
            return ExecutorResult.Failure($"GET {url}: {reason}");
        }
        catch (JsonException ex)
        {
            return ExecutorResult.Failure($"GET {url}: the answer is not JSON: {ex.Message}");
        }

        using (document)
        {
            var queue = document.RootElement;
            if (queue.ValueKind != JsonValueKind.Object || Long(queue, "messages") is not { } messages || Long(queue, "consumers") is not { } consumers)
            {
                return ExecutorResult.Failure($"GET {url}: the answer is not a queue object with messages and consumers");
            }

            var ready = Long(queue, "messages_ready");
            var unacknowledged = Long(queue, "messages_unacknowledged");
            var state = queue.TryGetProperty("state", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var publishRate = Rate(queue, "publish_details");
            var deliverRate = Rate(queue, "deliver_get_details");
            var checks = new List<Check>();
            if (parameters.MaxMessages is { } maxMessages)
            {
                checks.Add(new Check("messages", messages <= maxMessages, string.Create(CultureInfo.InvariantCulture, $"{messages} messages, at most {maxMessages}")));
            }

            if (parameters.MinConsumers is { } minConsumers)
            {
                checks.Add(new Check("consumers", consumers >= minConsumers, string.Create(CultureInfo.InvariantCulture, $"{consumers} consumers, at least {minConsumers}")));
            }

            job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"{parameters.Endpoint} vhost '{vhost}' queue '{parameters.Queue}': {messages} messages ({ready} ready, {unacknowledged} unacknowledged), {consumers} consumers, state {state ?? "unknown"}"));
            foreach (var check in checks)
            {
                job.Output.System($"{(check.Ok ? "ok  " : "FAIL")} {check.Name}: {check.Detail}");
            }

            var ok = checks.All(c => c.Ok);
            var result = new QueueResult(parameters.Endpoint, vhost, parameters.Queue, state, messages, ready, unacknowledged, consumers, publishRate, deliverRate, checks, ok);
            return ok
                ? ExecutorResult.Success(result)
                : ExecutorResult.Failure(string.Join("; ", checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")), result);
        }
    }

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static double? Rate(JsonElement queue, string details) =>
        queue.TryGetProperty("message_stats", out var stats) && stats.ValueKind == JsonValueKind.Object
            && stats.TryGetProperty(details, out var detail) && detail.ValueKind == JsonValueKind.Object
            && detail.TryGetProperty("rate", out var rate) && rate.ValueKind == JsonValueKind.Number
            ? rate.GetDouble()
            : null;

    /// <summary>The management API's error body is <c>{"error": "...", "reason": "..."}</c>.</summary>
    private static string ErrorReason(string body)
    {
        try
        {
            using var error = JsonDocument.Parse(body);
            return error.RootElement.ValueKind == JsonValueKind.Object && error.RootElement.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String
                ? ": " + reason.GetString()
                : string.Empty;
        }
        catch (JsonException)
        {
            return string.Empty;
        }
    }

    internal sealed record Check(string Name, bool Ok, string Detail);

    internal sealed record QueueResult(
        string Endpoint,
        string Vhost,
        string Queue,
        string? State,
        long Messages,
        long? MessagesReady,
        long? MessagesUnacknowledged,
        long Consumers,
        double? PublishRate,
        double? DeliverRate,
        IReadOnlyList<Check> Checks,
        bool Ok);
}
