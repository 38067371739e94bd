using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using Ops.Agent.Policy;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>http.request</c> (seed 001 "Redémarrer l'ingestion via l'API":
/// <c>curl -u $ADMIN_USERNAME:$ADMIN_PASSWORD -X POST https://&lt;api-url&gt;/admin/ingest</c>): one
/// request, redirects not followed (a credential never travels to a redirect target), no cookies,
/// certificates validated. Refused before anything is sent: a mutating method (POST, PUT, PATCH,
/// DELETE) to a URL not under <c>Policy:Http:AllowedMutations</c>; an unknown credential; a
/// credential whose <c>AllowedUrls</c> do not cover the URL (<see cref="UrlPrefix"/>). Checks:
/// status in <c>expectedStatus</c> (default 200–299), latency ≤ <c>maxLatencyMs</c>,
/// <c>bodyContains</c> in the first 1 MiB. Result <c>{url, method, credential, status, latencyMs,
/// headers{name: value} (a fixed subset, lower-case names), body (the first 4 KiB, UTF-8), bodyBytes
/// (read, at most 1 MiB), bodyTruncated, checks[{name, ok, detail}], ok}</c>; the body is also
/// printed on stdout like curl does. The runner redacts the credential's secret everywhere, even
/// when the server echoes it.
/// </summary>
internal sealed class HttpRequestExecutor(IOptions<PolicyOptions> policy, TimeProvider timeProvider) : IOperationExecutor, IDisposable
{
    /// <summary>Body bytes read at most: 1 MiB.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Body bytes returned in the result: 4 KiB.</summary>
    public const int ResultBodyBytes = 4096;

    /// <summary>Default timeout: 30 s.</summary>
    public const int DefaultTimeoutMs = 30_000;

    /// <summary>The response headers copied into the result.</summary>
    public static readonly IReadOnlyList<string> ReportedHeaders =
    [
        "content-type", "content-length", "content-encoding", "location", "retry-after", "etag", "last-modified",
        "date", "server", "cache-control", "x-request-id", "request-id", "x-correlation-id",
    ];

    private readonly HttpClient client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.All,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.HttpRequest.Name;

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (HttpRequestParameters)job.Parameters;
        var http = policy.Value.Http;
        var url = new Uri(parameters.Url, UriKind.Absolute);
        var method = parameters.Method;
        if (HttpRequestParametersValidator.MutatingMethods.Contains(method, StringComparer.Ordinal) && !UrlPrefix.AnyCovers(http.AllowedMutations, url))
        {
            var allowed = http.AllowedMutations is { Length: > 0 } prefixes ? string.Join(", ", prefixes) : "none configured";
            return ExecutorResult.Failure($"{method} to '{parameters.Url}' is refused: not under Policy:Http:AllowedMutations ({allowed})");
        }

        HttpCredential? credential = null;
        if (parameters.Credential is { } name)
        {
            if (!http.Credentials.TryGetValue(name, out var entry))
            {
                var known = http.Credentials.Count == 0 ? "none configured" : "known: " + string.Join(", ", http.Credentials.Keys.Order(StringComparer.Ordinal));
                return ExecutorResult.Failure($"credential '{name}' is not in this agent's policy (Policy:Http:Credentials; {known})");
            }

            if (!HttpCredential.TryResolve(name, entry, out credential, out var error))
            {
                return ExecutorResult.Failure(error!);
            }

            if (!UrlPrefix.AnyCovers(credential!.AllowedUrls, url))
            {
                return ExecutorResult.Failure($"credential '{name}' may not be sent to '{parameters.Url}' (Policy:Http:Credentials:{name}:AllowedUrls: {string.Join(", ", credential.AllowedUrls)})");
            }
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Headers.UserAgent.ParseAdd("ops-agent-http-request/1");
        if (parameters.Body is { } body)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        }

        foreach (var (headerName, value) in parameters.Headers ?? new Dictionary<string, string>())
        {
            if (IsContentHeader(headerName))
            {
                if (request.Content is null)
                {
                    return ExecutorResult.Failure($"header '{headerName}' describes a body; this request has none");
                }

                request.Content.Headers.Remove(headerName);
                request.Content.Headers.TryAddWithoutValidation(headerName, value);
            }
            else
            {
                request.Headers.Remove(headerName); // a given User-Agent or Accept replaces the agent's
                request.Headers.TryAddWithoutValidation(headerName, value);
            }
        }

        if (credential is not null)
        {
            request.Headers.Remove(credential.HeaderName);
            request.Headers.TryAddWithoutValidation(credential.HeaderName, credential.HeaderValue);
        }

        var timeoutMs = parameters.TimeoutMs ?? DefaultTimeoutMs;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeoutMs), timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = timeProvider.GetTimestamp();
        int status;
        byte[] responseBody = [];
        var truncated = false;
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            foreach (var header in response.Headers.Concat(response.Content.Headers))
            {
                var lower = header.Key.ToLowerInvariant();
                if (ReportedHeaders.Contains(lower, StringComparer.Ordinal))
                {
                    headers[lower] = string.Join(", ", header.Value);
                }
            }

            if (method != "HEAD")
            {
                (responseBody, truncated) = await ReadBodyAsync(response, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return ExecutorResult.Failure($"{method} {parameters.Url}: no complete answer within {timeoutMs} ms");
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
            return ExecutorResult.Failure($"{method} {parameters.Url}: {reason}");
        }

        var latencyMs = (long)timeProvider.GetElapsedTime(started).TotalMilliseconds;
        var text = Encoding.UTF8.GetString(responseBody);
        var checks = new List<Check>();
        var statusOk = parameters.ExpectedStatus is { Count: > 0 } expected ? expected.Contains(status) : status is >= 200 and <= 299;
        checks.Add(new Check("status", statusOk, parameters.ExpectedStatus is { Count: > 0 } list
            ? $"{status}, expected one of {string.Join(", ", list)}"
            : $"{status}, expected 200-299"));
        if (parameters.MaxLatencyMs is { } maxLatency)
        {
            checks.Add(new Check("latency", latencyMs <= maxLatency, $"{latencyMs} ms, at most {maxLatency} ms"));
        }

        if (parameters.BodyContains is { } fragment)
        {
            var found = text.Contains(fragment, StringComparison.Ordinal);
            checks.Add(new Check("bodyContains", found, found ? $"found '{fragment}'" : $"'{fragment}' not in the first {responseBody.Length} bytes"));
        }

        var shown = Head(responseBody, ResultBodyBytes);
        var ok = checks.All(c => c.Ok);
        job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"{method} {parameters.Url}{(credential is null ? string.Empty : $" (credential {credential.Name})")} -> {status} in {latencyMs} ms, {responseBody.Length}{(truncated ? "+" : string.Empty)} body bytes"));
        if (shown.Length > 0)
        {
            job.Output.WriteLines(Contracts.Agent.V1.OutputStream.Stdout, shown);
        }

        foreach (var check in checks)
        {
            job.Output.System($"{(check.Ok ? "ok  " : "FAIL")} {check.Name}: {check.Detail}");
        }

        var result = new RequestResult(parameters.Url, method, credential?.Name, status, latencyMs, headers, shown, responseBody.Length, truncated || responseBody.Length > ResultBodyBytes, checks, ok);
        return ok
            ? ExecutorResult.Success(result)
            : ExecutorResult.Failure(string.Join("; ", checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")), result);
    }

    /// <summary>The first <paramref name="maxBytes"/> bytes as UTF-8 text, cut before a split character.</summary>
    private static string Head(byte[] body, int maxBytes)
    {
        var length = Math.Min(body.Length, maxBytes);
        while (length > 0 && length < body.Length && (body[length] & 0xC0) == 0x80)
        {
            length--; // do not cut a multi-byte character in two
        }

        return Encoding.UTF8.GetString(body, 0, length);
    }

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("Expires", StringComparison.OrdinalIgnoreCase) || name.Equals("Last-Modified", StringComparison.OrdinalIgnoreCase) || name.Equals("Allow", StringComparison.OrdinalIgnoreCase);

    private static async Task<(byte[] Body, bool Truncated)> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxBodyBytes];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
        {
            filled += read;
        }

        var truncated = filled == buffer.Length && await stream.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) > 0;
        return (buffer.AsSpan(0, filled).ToArray(), truncated);
    }

    internal sealed record Check(string Name, bool Ok, string Detail);

    internal sealed record RequestResult(
        string Url,
        string Method,
        string? Credential,
        int Status,
        long LatencyMs,
        IReadOnlyDictionary<string, string> Headers,
        string Body,
        long BodyBytes,
        bool BodyTruncated,
        IReadOnlyList<Check> Checks,
        bool Ok);
}
