using Microsoft.Extensions.Configuration;
using Ops.Agent.Redaction;

namespace Ops.Agent.Tests.Redaction;

public sealed class RedactorTests
{
    private static readonly Redactor Redactor = new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Policy:Secrets:0"] = "literal-secret-value",
        ["Postgres:Databases:demo:ConnectionString"] = "Host=db;Username=app;Password=pg-Pa55;Database=demo",
        ["Agent:EnrollmentToken"] = "enroll-token-123",
        ["Service:ApiKey"] = "key-abcdef",
        ["Policy:Scripts:x:Environment:DB_KEY"] = "env-key-999",
        ["Policy:Scripts:x:Environment:APP_ENV"] = "production",
        ["Policy:Scripts:x:Arguments:token:Type"] = "pattern",
        ["Feature:UseToken"] = "true",
    }).Build());

    [Theory]
    [InlineData("connecting with literal-secret-value now", "connecting with [REDACTED] now")]
    [InlineData("pg password pg-Pa55 leaked", "pg password [REDACTED] leaked")]
    [InlineData("token enroll-token-123 and key-abcdef and env-key-999", "token [REDACTED] and [REDACTED] and [REDACTED]")]
    [InlineData("APP_ENV=production pattern true", "APP_ENV=production pattern true")]
    [InlineData("postgresql://app:hunter2@db:5432/demo", "postgresql://app:[REDACTED]@db:5432/demo")]
    [InlineData("PGPASSWORD=hunter2 pg_dump demo", "PGPASSWORD=[REDACTED] pg_dump demo")]
    [InlineData("--password=hunter2 --user=x", "--password=[REDACTED] --user=x")]
    [InlineData("client_secret: abc123", "client_secret: [REDACTED]")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "Authorization: Bearer [REDACTED]")]
    [InlineData("{\"user\":\"a\",\"password\":\"x y\"}", "{\"user\":\"a\",\"password\":\"[REDACTED]\"}")]
    public void Redact_ReplacesSecretsAndCredentialPatterns(string input, string expected) => Assert.Equal(expected, Redactor.Redact(input));

    [Fact]
    public void PrivateKeyBlock_IsRemoved_EvenAcrossWrites()
    {
        var inside = false;
        var first = Redactor.RedactLines("before\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAB3Nza\n", ref inside);
        var second = Redactor.RedactLines("MIIEvQIBADAN\n", ref inside);
        var third = Redactor.RedactLines("-----END OPENSSH PRIVATE KEY-----\nafter\n", ref inside);

        Assert.Equal("before\n[REDACTED PRIVATE KEY]\n", first);
        Assert.Equal(string.Empty, second);
        Assert.Equal("after\n", third);
        Assert.False(inside);
        Assert.Equal("a [REDACTED PRIVATE KEY] b", Redactor.Redact("a -----BEGIN RSA PRIVATE KEY-----\nxyz\n-----END RSA PRIVATE KEY----- b"));
    }

    [Fact]
    public void JsonResults_StayValidJson()
    {
        var json = """{"url":"https://u:p4ss@h/x","cmd":"PGPASSWORD=\"s3\" psql","apiToken":"abc","n":1,"list":["literal-secret-value"]}""";

        var redacted = JsonRedaction.Redact(Redactor, json);

        using var document = System.Text.Json.JsonDocument.Parse(redacted);
        var root = document.RootElement;
        Assert.Equal("https://u:[REDACTED]@h/x", root.GetProperty("url").GetString());
        Assert.DoesNotContain("s3", root.GetProperty("cmd").GetString(), StringComparison.Ordinal);
        Assert.Equal("[REDACTED]", root.GetProperty("apiToken").GetString());
        Assert.Equal(1, root.GetProperty("n").GetInt32());
        Assert.Equal("[REDACTED]", root.GetProperty("list")[0].GetString());
    }
}
