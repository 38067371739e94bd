using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Ops.Contracts.Kinds;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Executors;

/// <summary>
/// <c>http.check</c> (seeds 000 and 001: <c>curl http://localhost:8000/health</c>, "endpoint slower
/// than 1 s" alerts): one GET or HEAD through a shared <see cref="SocketsHttpHandler"/> that follows
/// at most <see cref="MaxRedirects"/> redirects, sends no cookies and validates certificates. The
/// latency is the wall time from sending to the end of the body (or the headers for HEAD). Checks:
/// <c>status</c> in <c>expectedStatus</c> (default 200–399), <c>latency</c> ≤ <c>maxLatencyMs</c>
/// when given, <c>bodyContains</c> in the first <see cref="MaxBodyBytes"/> of the body (UTF-8,
/// ordinal) when given. FAILED when a check fails, the server cannot be reached or nothing comes
/// within <c>timeoutMs</c> (default 10,000). Result <c>{url, status, latencyMs, bodyBytes,
/// checks: [{name, ok, detail}], ok}</c>; bodyBytes counts what was read (at most 1 MiB); the URL's
/// credentials are redacted by the runner.
/// </summary>
internal sealed class HttpCheckExecutor(TimeProvider timeProvider) : IOperationExecutor, IDisposable
{
    /// <summary>Redirects followed at most.</summary>
    public const int MaxRedirects = 5;

    /// <summary>Body bytes read at most: 1 MiB.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Default timeout: 10 s.</summary>
    public const int DefaultTimeoutMs = 10_000;

    private readonly HttpClient client = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = MaxRedirects,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.All,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <inheritdoc />
    public string Kind => OperationKindCatalog.HttpCheck.Name;

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(JobContext job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var parameters = (HttpCheckParameters)job.Parameters;
        var timeoutMs = parameters.TimeoutMs ?? DefaultTimeoutMs;
        var method = parameters.Method == "HEAD" ? HttpMethod.Head : HttpMethod.Get;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeoutMs), timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(method, parameters.Url);
        request.Headers.UserAgent.ParseAdd("ops-agent-http-check/1");
        var started = timeProvider.GetTimestamp();
        int status;
        long bodyBytes = 0;
        bool? bodyFound = null;
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            if (method == HttpMethod.Get)
            {
                var body = await ReadBodyAsync(response, linked.Token).ConfigureAwait(false);
                bodyBytes = body.Length;
                if (parameters.BodyContains is { } expected)
                {
                    bodyFound = Encoding.UTF8.GetString(body).Contains(expected, StringComparison.Ordinal);
                }
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
        var checks = new List<Check>();
        var statusOk = parameters.ExpectedStatus is { Count: > 0 } expectedStatus ? expectedStatus.Contains(status) : status is >= 200 and <= 399;
        checks.Add(new Check("status", statusOk, parameters.ExpectedStatus is { Count: > 0 } list
            ? $"{status}, expected one of {string.Join(", ", list)}"
            : $"{status}, expected 200-399"));
        if (parameters.MaxLatencyMs is { } maxLatency)
        {
            checks.Add(new Check("latency", latencyMs <= maxLatency, $"{latencyMs} ms, at most {maxLatency} ms"));
        }

        if (bodyFound is { } found)
        {
            checks.Add(new Check("bodyContains", found, found
                ? $"found '{parameters.BodyContains}'"
                : $"'{parameters.BodyContains}' not in the first {bodyBytes} bytes"));
        }

        var ok = checks.All(c => c.Ok);
        job.Output.Stdout(string.Create(CultureInfo.InvariantCulture, $"{method} {parameters.Url} -> {status} in {latencyMs} ms, {bodyBytes} body bytes"));
        foreach (var check in checks)
        {
            job.Output.Stdout($"{(check.Ok ? "ok  " : "FAIL")} {check.Name}: {check.Detail}");
        }

        var result = new CheckResult(parameters.Url, status, latencyMs, bodyBytes, checks, ok);
        return ok
            ? ExecutorResult.Success(result)
            : ExecutorResult.Failure(string.Join("; ", checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")), result);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxBodyBytes];
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
        {
            filled += read;
        }

        return buffer.AsSpan(0, filled).ToArray();
    }

    internal sealed record Check(string Name, bool Ok, string Detail);

    internal sealed record CheckResult(string Url, int Status, long LatencyMs, long BodyBytes, IReadOnlyList<Check> Checks, bool Ok);
}
