using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ops.ControlPlane.Infrastructure.Auth;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Runbooks;

public sealed class RunbooksApiTests(OpsApiFactory factory) : IClassFixture<OpsApiFactory>
{
    private const string Valid = """
        {
          "description": "Seed 004 §3.2: weekly maintenance",
          "parameters": {"database": {"type": "string", "enum": ["demo", "app"], "default": "demo"},
                         "days": {"type": "integer", "minimum": 1, "maximum": 30}},
          "required": ["days"],
          "steps": [
            {"name": "backup", "kind": "postgres.backup", "target": {"labels": {"role": "db"}}, "parameters": {"database": "${params.database}", "retentionDays": "${params.days}"}},
            {"name": "verify", "kind": "postgres.verify-backup", "target": {"labels": {"role": "db"}},
             "parameters": {"database": "${params.database}", "file": "${steps.backup.result.file}"}}
          ]
        }
        """;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static StringContent Yaml(string body) => new(body, Encoding.UTF8, "application/yaml");

    private static string Name() => $"rb-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Put_SameContentTwice_KeepsTheVersionAndChangedContentAddsOne()
    {
        var client = factory.CreateClient(Roles.Operator);
        var name = Name();

        var first = await client.PutAsync($"/api/v1/runbooks/{name}", Json(Valid));
        var again = await client.PutAsync($"/api/v1/runbooks/{name}", Json(Valid.Replace("\n", "\n  ", StringComparison.Ordinal)));
        var changed = await client.PutAsync($"/api/v1/runbooks/{name}", Json(Valid.Replace("weekly maintenance", "weekly maintenance v2", StringComparison.Ordinal)));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.Created, changed.StatusCode);
        Assert.Equal(1, (await first.ReadJsonAsync()).GetProperty("version").GetInt32());
        Assert.Equal(1, (await again.ReadJsonAsync()).GetProperty("version").GetInt32());
        Assert.Equal(2, (await changed.ReadJsonAsync()).GetProperty("version").GetInt32());

        var viewer = factory.CreateClient(Roles.Viewer);
        var latest = await (await viewer.GetAsync($"/api/v1/runbooks/{name}")).ReadJsonAsync();
        Assert.Equal(2, latest.GetProperty("version").GetInt32());
        var v1 = await (await viewer.GetAsync($"/api/v1/runbooks/{name}?version=1")).ReadJsonAsync();
        Assert.Equal("Seed 004 §3.2: weekly maintenance", v1.GetProperty("description").GetString());
        var schema = latest.GetProperty("parameterSchema");
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal("integer", schema.GetProperty("properties").GetProperty("days").GetProperty("type").GetString());
        Assert.Equal(30, schema.GetProperty("properties").GetProperty("days").GetProperty("maximum").GetInt32());
        Assert.Equal("demo", schema.GetProperty("properties").GetProperty("database").GetProperty("default").GetString());
        Assert.Equal(["days"], schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var audit = await (await factory.CreateClient(Roles.Admin).GetAsync("/api/v1/audit?action=runbook.save&limit=500")).ReadJsonAsync();
        Assert.Equal(2, audit.GetProperty("items").EnumerateArray().Count(i => i.GetProperty("resourceId").GetString() == name));
    }

    [Fact]
    public async Task Put_Yaml_IsTheSameModelAsJson()
    {
        var client = factory.CreateClient(Roles.Operator);
        var name = Name();
        var yaml = """
            description: "Seed 004 §3.2: weekly maintenance"
            parameters:
              database: {type: string, enum: [demo, app], default: demo}
              days: {type: integer, minimum: 1, maximum: 30}
            required: [days]
            steps:
              - name: backup
                kind: postgres.backup
                target: {labels: {role: db}}
                parameters: {database: "${params.database}", retentionDays: "${params.days}"}
              - name: verify
                kind: postgres.verify-backup
                target:
                  labels:
                    role: db
                parameters:
                  database: "${params.database}"
                  file: "${steps.backup.result.file}"
            """;

        var fromYaml = await client.PutAsync($"/api/v1/runbooks/{name}", Yaml(yaml));
        var fromJson = await client.PutAsync($"/api/v1/runbooks/{name}", Json(Valid));

        Assert.Equal(HttpStatusCode.Created, fromYaml.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromJson.StatusCode);
    }

    [Fact]
    public async Task Delete_ArchivesTheRunbook_HidingItFromGetListsAndRuns()
    {
        var name = Name();
        await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{name}", Json(Valid));

        var byOperator = await factory.CreateClient(Roles.Operator).DeleteAsync($"/api/v1/runbooks/{name}");
        var byAdmin = await factory.CreateClient(Roles.Admin).DeleteAsync($"/api/v1/runbooks/{name}");

        Assert.Equal(HttpStatusCode.Forbidden, byOperator.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, byAdmin.StatusCode);
        var viewer = factory.CreateClient(Roles.Viewer);
        await ProblemAssert.IsProblemAsync(await viewer.GetAsync($"/api/v1/runbooks/{name}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/v1/runbooks/{name}?version=1")).StatusCode);
        var list = await (await viewer.GetAsync("/api/v1/runbooks?limit=200")).ReadJsonAsync();
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), r => r.GetProperty("name").GetString() == name);
        var run = await factory.CreateClient(Roles.Operator).PostJsonAsync($"/api/v1/runbooks/{name}/runs", new { parameters = new { days = 3 } });
        await ProblemAssert.IsProblemAsync(run, HttpStatusCode.NotFound);
    }

    public static TheoryData<string, string, string> BadDocuments() => new()
    {
        { "unknown kind", Valid.Replace("\"kind\": \"postgres.backup\"", "\"kind\": \"postgres.bakcup\"", StringComparison.Ordinal), "steps[0].kind" },
        { "unknown step reference", Valid.Replace("steps.backup.result.file", "steps.bakup.result.file", StringComparison.Ordinal), "steps[1].parameters.file" },
        { "later step reference", Valid.Replace("\"${params.days}\"", "\"${steps.verify.result.days}\"", StringComparison.Ordinal), "steps[0].parameters.retentionDays" },
        { "self reference", Valid.Replace("steps.backup.result.file", "steps.verify.result.file", StringComparison.Ordinal), "steps[1].parameters.file" },
        { "unknown parameter", Valid.Replace("${params.days}", "${params.dayz}", StringComparison.Ordinal), "steps[0].parameters.retentionDays" },
        { "missing kind parameter", Valid.Replace("\"database\": \"${params.database}\", \"file\"", "\"file\"", StringComparison.Ordinal), "steps[1].parameters.database" },
        { "bad kind parameter", Valid.Replace("\"retentionDays\": \"${params.days}\"", "\"retentionDays\": \"seven\"", StringComparison.Ordinal), "steps[0].parameters.retentionDays" },
        { "duplicate names", Valid.Replace("\"name\": \"verify\"", "\"name\": \"backup\"", StringComparison.Ordinal), "steps[1].name" },
        { "unknown member", Valid.Replace("\"description\"", "\"descripton\"", StringComparison.Ordinal), "descripton" },
        { "wrong type", Valid.Replace("\"required\": [\"days\"]", "\"required\": \"days\"", StringComparison.Ordinal), "required" },
        { "undeclared required", Valid.Replace("\"required\": [\"days\"]", "\"required\": [\"weeks\"]", StringComparison.Ordinal), "required[0]" },
        { "bad parameter type", Valid.Replace("\"type\": \"integer\"", "\"type\": \"int\"", StringComparison.Ordinal), "parameters.days.type" },
        { "bad default", Valid.Replace("\"default\": \"demo\"", "\"default\": \"prod\"", StringComparison.Ordinal), "parameters.database.default" },
        { "rollback without steps", Valid.Replace("\"parameters\": {\"database\": \"${params.database}\", \"file\"", "\"onFailure\": \"rollback\", \"parameters\": {\"database\": \"${params.database}\", \"file\"", StringComparison.Ordinal), "steps[1].onFailure" },
        { "bad rollout", Valid.Replace("\"parameters\": {\"database\": \"${params.database}\", \"file\"", "\"rollout\": {\"batchSize\": 0}, \"parameters\": {\"database\": \"${params.database}\", \"file\"", StringComparison.Ordinal), "steps[1].rollout.batchSize" },
        { "no steps", "{\"steps\": []}", "steps" },
        { "not an object", "[1, 2]", "body" },
        { "malformed", "{\"steps\": [", "body" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public async Task Put_BadDocument_Is400NamingThePath(string why, string document, string path)
    {
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{Name()}", Json(document));
        var problem = await ProblemAssert.HasFieldErrorAsync(response, path);
        Assert.False(string.IsNullOrEmpty(why));
        if (why == "unknown step reference")
        {
            Assert.Contains("unknown reference steps.bakup", problem.GetProperty("errors").GetProperty(path)[0].GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Put_AThousandSteps_Is400NamingSteps()
    {
        var steps = string.Join(",", Enumerable.Range(0, 1000).Select(i => $"{{\"name\":\"s{i}\",\"kind\":\"agent.ping\",\"target\":{{\"all\":true}}}}"));
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{Name()}", Json($"{{\"steps\":[{steps}]}}"));
        await ProblemAssert.HasFieldErrorAsync(response, "steps");
    }

    [Fact]
    public async Task Put_AOneMegabyteDocument_Is413NamingTheBody()
    {
        var padding = new string('x', 1024 * 1024);
        var response = await factory.CreateClient(Roles.Operator).PutAsync(
            $"/api/v1/runbooks/{Name()}", Json($"{{\"description\":\"{padding}\",\"steps\":[{{\"name\":\"a\",\"kind\":\"agent.ping\",\"target\":{{\"all\":true}}}}]}}"));
        // Over the body limit: one status for every route (413) with the same problem shape (issue 16).
        var problem = await ProblemAssert.IsProblemAsync(response, System.Net.HttpStatusCode.RequestEntityTooLarge);
        Assert.True(problem.GetProperty("errors").TryGetProperty("body", out _));
    }

    [Fact]
    public async Task Put_YamlBillionLaughs_Is400WithoutExpandingIt()
    {
        var yaml = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i < 10; i++)
        {
            var prev = (char)('a' + i - 1);
            var cur = (char)('a' + i);
            yaml.Append(cur).Append(": &").Append(cur).Append(" [").Append(string.Join(",", Enumerable.Repeat($"*{prev}", 9))).Append("]\n");
        }

        yaml.Append("steps: [{name: a, kind: agent.ping, target: {all: true}}]\n");
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{Name()}", Yaml(yaml.ToString()));
        var problem = await ProblemAssert.HasFieldErrorAsync(response, "body");
        Assert.Contains("anchors", problem.GetProperty("errors").GetProperty("body")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("steps: [name: a", "body")]
    [InlineData("steps:\n  - name: a\n    name: b\n", "body")]
    [InlineData("- just\n- a list\n", "body")]
    public async Task Put_BadYaml_Is400NamingTheBody(string yaml, string path)
    {
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{Name()}", Yaml(yaml));
        await ProblemAssert.HasFieldErrorAsync(response, path);
    }

    [Theory]
    [InlineData("{}", "parameters.days", "Required")]
    [InlineData("{\"parameters\":{\"days\":\"three\"}}", "parameters.days", "integer")]
    [InlineData("{\"parameters\":{\"days\":31}}", "parameters.days", "at most")]
    [InlineData("{\"parameters\":{\"days\":3,\"database\":\"prod\"}}", "parameters.database", "one of")]
    [InlineData("{\"parameters\":{\"days\":3,\"extra\":1}}", "parameters.extra", "Unknown")]
    [InlineData("{\"parameters\":[1]}", "parameters", "object")]
    public async Task Run_WithBadParameters_Is400NamingTheParameter(string body, string path, string message)
    {
        var name = Name();
        await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{name}", Json(Valid));

        var response = await factory.CreateClient(Roles.Operator).PostRawAsync($"/api/v1/runbooks/{name}/runs", body);

        var problem = await ProblemAssert.HasFieldErrorAsync(response, path);
        Assert.Contains(message, problem.GetProperty("errors").GetProperty(path)[0].GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Has Space")]
    [InlineData("-leading")]
    public async Task Put_WithABadName_Is400NamingIt(string name)
    {
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{Uri.EscapeDataString(name)}", Json(Valid));
        await ProblemAssert.HasFieldErrorAsync(response, "name");
    }

    [Fact]
    public async Task Put_WithAnotherContentType_Is415()
    {
        var response = await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{Name()}", new StringContent(Valid, Encoding.UTF8, "text/plain"));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Swagger_DescribesTheRunbookRoutes()
    {
        var document = await factory.CreateClient(Roles.Viewer).GetStringAsync("/swagger/v1/swagger.json");
        Assert.Contains("/api/v1/runbooks/{name}/runs", document, StringComparison.Ordinal);
        Assert.Contains("/api/v1/runbook-runs/{id}/cancel", document, StringComparison.Ordinal);
        Assert.Contains("/api/v1/locks", document, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateRunAsync_WithoutStart_LeavesItPendingApprovalUntilStartRunAsync()
    {
        var name = Name();
        await factory.CreateClient(Roles.Operator).PutAsync($"/api/v1/runbooks/{name}", Json(Valid));
        var store = factory.Services.GetRequiredService<Ops.ControlPlane.Features.Runbooks.RunbookRunStore>();
        var engine = factory.Services.GetRequiredService<Ops.ControlPlane.Features.Runbooks.RunbookEngine>();
        await using var connection = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync();

        Guid runId;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            var bad = await store.CreateRunAsync(connection, transaction, name, null, JsonDocument.Parse("{\"days\":99}").RootElement, "scheduler", null, start: false, CancellationToken.None);
            Assert.Null(bad.RunId);
            Assert.Contains("parameters.days", bad.Errors.Keys);
            var created = await store.CreateRunAsync(connection, transaction, name, null, JsonDocument.Parse("{\"days\":3}").RootElement, "scheduler", "slot-1", start: false, CancellationToken.None);
            runId = created.RunId!.Value;
            await transaction.CommitAsync();
        }

        var viewer = factory.CreateClient(Roles.Viewer);
        Assert.Equal("pending_approval", (await (await viewer.GetAsync($"/api/v1/runbook-runs/{runId}")).ReadJsonAsync()).GetProperty("status").GetString());
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            Assert.True(await engine.StartRunAsync(connection, transaction, runId, CancellationToken.None));
            await transaction.CommitAsync();
        }

        var run = await (await viewer.GetAsync($"/api/v1/runbook-runs/{runId}")).ReadJsonAsync();
        Assert.NotEqual("pending_approval", run.GetProperty("status").GetString());
        Assert.Equal("scheduler", run.GetProperty("requestedBy").GetString());
        Assert.Equal(3, run.GetProperty("parameters").GetProperty("days").GetInt32());
        Assert.Equal("demo", run.GetProperty("parameters").GetProperty("database").GetString());
        await factory.CreateClient(Roles.Operator).PostAsync($"/api/v1/runbook-runs/{runId}/cancel", null);
    }

    [Fact]
    public async Task Put_ByAViewer_IsForbidden()
    {
        var response = await factory.CreateClient(Roles.Viewer).PutAsync($"/api/v1/runbooks/{Name()}", Json(Valid));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        _ = JsonDocument.Parse("{}");
    }
}
