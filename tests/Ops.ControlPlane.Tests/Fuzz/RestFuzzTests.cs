using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;
using Xunit.Abstractions;

namespace Ops.ControlPlane.Tests.Fuzz;

/// <summary>
/// Fuzzing of every REST route that takes input (issue 16): 2,000 generated requests per route
/// family from a fixed seed (override with <c>OPS_FUZZ_SEED</c>) against one host on real Kestrel
/// sockets and a real database, four requests at a time: random JSON shapes, wrong types, NUL and lone surrogates, invalid UTF-8,
/// 1 MB strings, 10,000-deep nesting, duplicate keys, bad query strings and path segments. No
/// answer may be a 5xx, and every refusal must be problem details (but Kestrel's own bodiless
/// 400/414/431 for a request it cannot parse). A failure prints the seed
/// and each failing case, reproducible from its family and index.
/// </summary>
public sealed class RestFuzzTests(RestFuzzTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<RestFuzzTests.Fixture>
{
    public const int CasesPerFamily = 2000;

    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("OPS_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 20261201;

    /// <summary>The host with a few agents, an operation and its job to aim at.</summary>
    public sealed class Fixture : OpsGrpcFactory
    {
        public List<Guid> AgentIds { get; } = [];

        public Guid OperationId { get; private set; }

        public Guid JobId { get; private set; }

        public Guid EnrollmentTokenId { get; private set; }

        public HttpClient Admin { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            for (var i = 0; i < 3; i++)
            {
                AgentIds.Add(await SeedAgentAsync(new Dictionary<string, string> { ["env"] = "dev", ["role"] = i == 0 ? "db" : "web" },
                    ["agent.ping", "host.disk", "logs.tail", "http.check", "script.run", "postgres.backup", "postgres.restore", "files.prune", "tls.check"]));
            }

            Admin = CreateClient(Roles.Admin, "fuzzer");
            var operation = await (await Admin.PostJsonAsync("/api/v1/operations", new { kind = "agent.ping", target = new { agentIds = new[] { AgentIds[0] } } })).ReadJsonAsync();
            OperationId = operation.GetProperty("id").GetGuid();
            JobId = operation.GetProperty("jobs")[0].GetProperty("id").GetGuid();
            EnrollmentTokenId = (await (await Admin.PostJsonAsync("/api/v1/enrollment-tokens", new { })).ReadJsonAsync()).GetProperty("id").GetGuid();
        }
    }

    private JsonNode OperationTemplate(Random random)
    {
        var agent = fixture.AgentIds[random.Next(fixture.AgentIds.Count)];
        var (kind, parameters) = random.Next(9) switch
        {
            0 => ("agent.ping", "{}"),
            1 => ("host.disk", """{"paths":["/","/var"],"minFreeBytes":10000000000,"minFreePercent":10}"""),
            2 => ("http.check", """{"url":"http://127.0.0.1:1/health","method":"GET","expectedStatus":[200,204],"maxLatencyMs":2000,"bodyContains":"ok","timeoutMs":1000}"""),
            3 => ("logs.tail", """{"path":"/var/log/app.log","lines":100,"pattern":"error","ignoreCase":true}"""),
            4 => ("script.run", """{"script":"demo.pipeline","arguments":{"format":"modern","days":3}}"""),
            5 => ("postgres.backup", """{"database":"demo","format":"custom","retentionDays":7,"tables":["users"]}"""),
            6 => ("files.prune", """{"directory":"/var/log","pattern":"*.gz","olderThanDays":7,"dryRun":true}"""),
            7 => ("tls.check", """{"host":"example.com","port":443,"minDaysRemaining":14}"""),
            _ => ("postgres.restore", """{"database":"demo","file":"/backups/demo.dump"}"""),
        };
        var target = random.Next(3) switch
        {
            0 => $$"""{"agentIds":["{{agent}}"]}""",
            1 => """{"labels":{"env":"dev","role":"db"}}""",
            _ => """{"all":true}""",
        };
        return JsonNode.Parse($$"""{"kind":"{{kind}}","parameters":{{parameters}},"target":{{target}},"timeoutSeconds":600,"priority":50}""")!;
    }

    private FuzzCase Generate(string family, int index)
    {
        // Deterministic across processes (string.GetHashCode and HashCode are randomized per process).
        var familyHash = family.Aggregate(17, (h, c) => unchecked((h * 31) + c));
        var random = new Random(unchecked((Seed * 1_000_003) + (familyHash * 10_007) + index));
        var fuzzer = new JsonFuzzer(random);
        string Q(params string[] names) => string.Join('&', names.Where(_ => random.Next(3) > 0)
            .SelectMany(n => Enumerable.Repeat(n, random.Next(8) == 0 ? 2 : 1))
            .Select(n => random.Next(15) == 0 ? $"{fuzzer.QueryValue()}={fuzzer.QueryValue()}" : $"{n}={fuzzer.QueryValue()}"));
        string Segment() => random.Next(6) switch
        {
            0 => fuzzer.QueryValue(),
            1 => fuzzer.RandomGuid().ToString(),
            2 => fuzzer.RandomGuid().ToString("B"),
            _ => new[] { fixture.OperationId, fixture.JobId, fixture.EnrollmentTokenId, fixture.AgentIds[^1] }[random.Next(4)].ToString(),
        };

        switch (family)
        {
            case "operations.create":
            {
                var (body, type) = fuzzer.Mutate(OperationTemplate(random));
                var key = random.Next(4) switch
                {
                    0 => null,
                    1 => $"key-{random.Next(50)}",
                    2 => new[] { "", " ", new string('k', 201), "a\tb", "\u0000", "\u007f", "\u0001" }[random.Next(7)],
                    _ => fuzzer.RandomGuid().ToString(),
                };
                return new FuzzCase(family, index, HttpMethod.Post, "/api/v1/operations", body, type, key);
            }

            case "enrollment-tokens.create":
            {
                var template = JsonNode.Parse("""{"labels":{"env":"prod","role":"db"},"expiresInMinutes":60,"maxUses":2}""")!;
                var (body, type) = fuzzer.Mutate(template);
                return new FuzzCase(family, index, HttpMethod.Post, "/api/v1/enrollment-tokens", body, type, null);
            }

            case "operations.list":
                return new FuzzCase(family, index, HttpMethod.Get, "/api/v1/operations?" + Q("status", "kind", "agentId", "limit", "cursor"), null, null, null);

            case "lists":
            {
                var url = random.Next(3) switch
                {
                    0 => "/api/v1/agents?" + Q("limit", "cursor"),
                    1 => "/api/v1/enrollment-tokens?" + Q("limit", "cursor"),
                    _ => "/api/v1/audit?" + Q("action", "actor", "limit", "cursor"),
                };
                return new FuzzCase(family, index, HttpMethod.Get, url, null, null, null);
            }

            case "jobs.output":
                return new FuzzCase(family, index, HttpMethod.Get, $"/api/v1/jobs/{Segment()}/output?" + Q("afterSeq", "limit"), null, null, null);

            default: // "by-id"
            {
                var (method, url) = random.Next(8) switch
                {
                    0 => (HttpMethod.Get, $"/api/v1/operations/{Segment()}"),
                    1 => (HttpMethod.Post, $"/api/v1/operations/{Segment()}/cancel"),
                    2 => (HttpMethod.Get, $"/api/v1/jobs/{Segment()}"),
                    3 => (HttpMethod.Get, $"/api/v1/agents/{Segment()}"),
                    4 => (HttpMethod.Post, $"/api/v1/agents/{Segment()}/revoke"),
                    5 => (HttpMethod.Delete, $"/api/v1/enrollment-tokens/{Segment()}"),
                    6 => (HttpMethod.Get, $"/api/v1/operation-kinds/{(random.Next(2) == 0 ? "host.disk" : Segment())}"),
                    _ => (new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete }[random.Next(3)], "/api/v1/operations"),
                };
                byte[]? body = null;
                string? type = null;
                if (method != HttpMethod.Get && random.Next(2) == 0)
                {
                    (body, type) = fuzzer.Mutate(JsonNode.Parse("""{"reason":"fuzz","force":true}""")!);
                }

                return new FuzzCase(family, index, method, url, body, type, null);
            }
        }
    }

    [Theory]
    [InlineData("operations.create")]
    [InlineData("enrollment-tokens.create")]
    [InlineData("operations.list")]
    [InlineData("lists")]
    [InlineData("jobs.output")]
    [InlineData("by-id")]
    public async Task Route_WithGeneratedHostileInput_NeverAnswers5xxAndRefusesWithProblemDetails(string family)
    {
        var failures = new ConcurrentBag<(FuzzCase Case, string Answer)>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, CasesPerFamily), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (index, cancellationToken) =>
        {
            var fuzzCase = Generate(family, index);
            using var request = new HttpRequestMessage(fuzzCase.Method, fuzzCase.Url);
            if (fuzzCase.Body is { } body)
            {
                request.Content = new ByteArrayContent(body);
                if (fuzzCase.ContentType is { } type)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                }
            }

            if (fuzzCase.IdempotencyKey is { } key)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
            }

            try
            {
                using var response = await fixture.Admin.SendAsync(request, cancellationToken);
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (status >= 500)
                {
                    failures.Add((fuzzCase, $"{status}: {Truncate(text)}"));
                }
                else if (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json" && !IsKestrelRefusal(status, text))
                {
                    failures.Add((fuzzCase, $"{status} without problem details ({response.Content.Headers.ContentType}): {Truncate(text)}"));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failures.Add((fuzzCase, $"exception {ex.GetType().Name}: {ex.Message}"));
            }
        });

        output.WriteLine($"seed {Seed}, family {family}: {CasesPerFamily} cases; statuses {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))}");
        var sorted = failures.OrderBy(f => f.Case.Index).ToList();
        Assert.True(sorted.Count == 0,
            $"seed {Seed} (OPS_FUZZ_SEED), family {family}: {sorted.Count} of {CasesPerFamily} cases failed:\n" +
            string.Join("\n", sorted.Take(15).Select(f => $"  case #{f.Case.Index}: {f.Case.Describe()}\n    → {f.Answer}")));
    }

    /// <summary>
    /// Kestrel's own refusal of a request it cannot parse, before any middleware runs (a NUL in
    /// the path or a header, a request line over 8 KiB): 400, 414 or 431 without a body.
    /// </summary>
    private static bool IsKestrelRefusal(int status, string body) => status is 400 or 414 or 431 && body.Length == 0;

    private static string Truncate(string text) => text.Length > 400 ? text[..400] + "…" : text;
}
