using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Ops.ControlPlane.Infrastructure.Events;

namespace Ops.ControlPlane.Features.Webhooks;

/// <summary>
/// Sends the outbox (DESIGN.md §15). Woken by <c>NOTIFY ops_webhooks</c> (a delivery was queued in the event's transaction) and by
/// the end of its own deliveries, otherwise asleep until the next due retry on the
/// <see cref="TimeProvider"/>. Each webhook is sent in order, one delivery at a time; different
/// webhooks in parallel (<see cref="WebhooksOptions.MaxConcurrentDeliveries"/>). Every attempt
/// carries the Standard Webhooks headers <c>webhook-id</c> (the same on every attempt),
/// <c>webhook-timestamp</c> (this attempt, Unix seconds) and <c>webhook-signature</c>; it has
/// <see cref="WebhooksOptions.RequestTimeout"/>, follows no redirect and connects only to
/// addresses the <see cref="WebhookTargetGuard"/> allows. 2xx: delivered. 410: the webhook is
/// disabled. Anything else: retried with <see cref="WebhookBackoff"/> until the retry window ends.
/// </summary>
internal sealed class WebhookDispatcher(
    WebhookOutbox outbox,
    WebhookSecrets secrets,
    IHttpClientFactory httpClients,
    WebhooksOptions options,
    WebhookLinks links,
    WebhookSignal signal,
    TimeProvider timeProvider,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>The <see cref="IHttpClientFactory"/> name of the delivery client.</summary>
    public const string HttpClientName = "ops-webhooks";

    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var inFlight = new Dictionary<string, Task>(StringComparer.Ordinal);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wake = signal.Subscribe();
                DateTimeOffset? next;
                try
                {
                    foreach (var done in inFlight.Where(p => p.Value.IsCompleted).Select(p => p.Key).ToList())
                    {
                        inFlight.Remove(done);
                    }

                    var free = options.MaxConcurrentDeliveries - inFlight.Count;
                    if (free > 0)
                    {
                        var claimed = await outbox.ClaimAsync(timeProvider.GetUtcNow(), free, inFlight.Keys, stoppingToken);
                        foreach (var delivery in claimed)
                        {
                            inFlight[delivery.WebhookName] = DeliverAsync(delivery, stoppingToken);
                        }

                        next = claimed.Count < free ? await outbox.NextDueAsync(stoppingToken) : null;
                    }
                    else
                    {
                        next = null;
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
                {
                    WebhooksLog.PassFailed(logger, ex);
                    next = timeProvider.GetUtcNow() + TimeSpan.FromSeconds(2);
                }

                await WaitAsync(wake, next, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // In-flight deliveries see the cancellation and give their lease back.
            await Task.WhenAll(inFlight.Values);
        }
    }

    private async Task WaitAsync(Task wake, DateTimeOffset? next, CancellationToken stoppingToken)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var waits = new List<Task> { wake, Task.Delay(Timeout.Infinite, cancel.Token) };
        if (next is { } due)
        {
            waits.Add(Task.Delay(Infrastructure.Events.DueTime.Until(due, timeProvider.GetUtcNow(), MinimumWait), timeProvider, cancel.Token));
        }

        await Task.WhenAny(waits);
        await cancel.CancelAsync();
        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>One attempt of one delivery; records its outcome and wakes the loop.</summary>
    private async Task DeliverAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await AttemptAsync(delivery, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await ReleaseQuietlyAsync(delivery);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The outcome could not be recorded: the lease runs out and the delivery is sent again.
            WebhooksLog.PassFailed(logger, ex);
        }
        finally
        {
            signal.Notify();
        }
    }

    private async Task AttemptAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        string secret;
        try
        {
            secret = secrets.Decrypt(delivery.WebhookName, delivery.SecretEncrypted);
        }
        catch (CryptographicException ex)
        {
            WebhooksLog.SecretUnreadable(logger, delivery.WebhookName, ex);
            await FailedAttemptAsync(delivery, null, "the signing secret cannot be decrypted with this control plane's key", null, stoppingToken);
            return;
        }

        var body = WebhookPayloads.Body(delivery.Format, delivery.Event, links.BaseUrl);
        var timestamp = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation("webhook-id", delivery.MessageId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(secret, delivery.MessageId, timestamp, body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.RequestTimeout);
        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            await FailedAttemptAsync(delivery, null, $"no answer within {options.RequestTimeout.TotalSeconds:0.#} s", null, stoppingToken);
            return;
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or UriFormatException)
        {
            // HttpClient's own refusals of the request (e.g. a URI it cannot send to): a failed attempt, recorded.
            await FailedAttemptAsync(delivery, null, $"request refused by the client: {ex.Message}", null, stoppingToken);
            return;
        }
        catch (HttpRequestException ex)
        {
            var refused = FindRefusal(ex);
            await FailedAttemptAsync(delivery, null, refused is null ? $"request failed: {ex.Message}" : $"target refused: {refused.Message}", null, stoppingToken);
            return;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            WebhookMetrics.Duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var now = timeProvider.GetUtcNow();
            if (status is >= 200 and < 300)
            {
                await outbox.SucceededAsync(delivery, status, now, stoppingToken);
                WebhookMetrics.Deliveries.Add(1, Tag("succeeded"), new KeyValuePair<string, object?>("format", delivery.Format));
                WebhooksLog.Delivered(logger, delivery.WebhookName, delivery.Id, delivery.Event.Type, status, delivery.Attempt);
                return;
            }

            if (status == 410)
            {
                await outbox.GoneAsync(delivery, now, stoppingToken);
                WebhookMetrics.Deliveries.Add(1, Tag("gone"), new KeyValuePair<string, object?>("format", delivery.Format));
                WebhooksLog.Gone(logger, delivery.WebhookName, delivery.Id);
                return;
            }

            var error = status is >= 300 and < 400
                ? $"HTTP {status}: redirects are not followed (Location: {response.Headers.Location})"
                : $"HTTP {status}{await SnippetAsync(response, timeout.Token)}";
            await FailedAttemptAsync(delivery, status, error, response.Headers.RetryAfter, stoppingToken);
        }
    }

    private async Task FailedAttemptAsync(ClaimedDelivery delivery, int? status, string error, RetryConditionHeaderValue? retryAfter, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (WebhookBackoff.Next(options, delivery.Attempt, delivery.CreatedAt, now, retryAfter, Random.Shared.NextDouble()) is { } next)
        {
            await outbox.RetryAsync(delivery, status, error, next, cancellationToken);
            WebhookMetrics.Deliveries.Add(1, Tag("retried"), new KeyValuePair<string, object?>("format", delivery.Format));
            WebhooksLog.Retrying(logger, delivery.WebhookName, delivery.Id, delivery.Attempt, error, WebhookBackoff.Seconds(next - now));
        }
        else
        {
            await outbox.GaveUpAsync(delivery, status, error, now, cancellationToken);
            WebhookMetrics.Deliveries.Add(1, Tag("failed"), new KeyValuePair<string, object?>("format", delivery.Format));
            WebhooksLog.GaveUp(logger, delivery.WebhookName, delivery.Id, delivery.Attempt, error);
        }
    }

    private async Task ReleaseQuietlyAsync(ClaimedDelivery delivery)
    {
        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await outbox.ReleaseAsync(delivery, bounded.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            // The lease runs out instead.
        }
    }

    private static async Task<string> SnippetAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[300];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            var text = Encoding.UTF8.GetString(buffer, 0, read).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? "" : $": {text}";
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return "";
        }
    }

    private static WebhookTargetRefusedException? FindRefusal(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is WebhookTargetRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    private static KeyValuePair<string, object?> Tag(string outcome) => new("outcome", outcome);
}
