using System.Text;
using Microsoft.Extensions.Configuration;
using Ops.Agent.Policy;
using Ops.Agent.Redaction;

namespace Ops.Agent.Tests.Policy;

/// <summary>Policy:Http, Policy:Archives, Policy:Redis and Policy:RabbitMq: start-time validation, URL prefixes and the redaction of their secrets.</summary>
public sealed class IntegrationPolicyTests
{
    [Fact]
    public void Validate_AValidPolicy_Succeeds()
    {
        Environment.SetEnvironmentVariable("OPS_TEST_ADMIN_PASSWORD", "from-env-pw-1");
        var result = new PolicyOptionsValidator().Validate(null, Bind(new Dictionary<string, string?>
        {
            ["Policy:Http:Credentials:admin-api:Scheme"] = "basic",
            ["Policy:Http:Credentials:admin-api:Username"] = "admin",
            ["Policy:Http:Credentials:admin-api:FromEnvironment"] = "OPS_TEST_ADMIN_PASSWORD",
            ["Policy:Http:Credentials:admin-api:AllowedUrls:0"] = "https://api.internal/admin/",
            ["Policy:Http:Credentials:rabbit:Scheme"] = "basic",
            ["Policy:Http:Credentials:rabbit:Username"] = "monitor",
            ["Policy:Http:Credentials:rabbit:Password"] = "rabbit-pw",
            ["Policy:Http:Credentials:rabbit:AllowedUrls:0"] = "http://rabbit.internal:15672/api/",
            ["Policy:Http:AllowedMutations:0"] = "https://api.internal/admin/",
            ["Policy:Archives:Directory"] = "/var/backups/ops",
            ["Policy:Redis:Instances:celery:Host"] = "127.0.0.1",
            ["Policy:Redis:Instances:cache:UnixSocket"] = "/run/redis/redis.sock",
            ["Policy:RabbitMq:Endpoints:broker:Url"] = "http://rabbit.internal:15672",
            ["Policy:RabbitMq:Endpoints:broker:Credential"] = "rabbit",
        }));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_ReportsEveryProblemOfTheNewSectionsWithItsKey_AndNoSecret()
    {
        Environment.SetEnvironmentVariable("OPS_TEST_NOT_SET", null);
        var failures = new PolicyOptionsValidator().Validate(null, Bind(new Dictionary<string, string?>
        {
            ["Policy:Http:Credentials:nouser:Scheme"] = "basic",
            ["Policy:Http:Credentials:nouser:Password"] = "pw-nouser-123",
            ["Policy:Http:Credentials:nouser:AllowedUrls:0"] = "https://api.internal/",
            ["Policy:Http:Credentials:weird:Scheme"] = "digest",
            ["Policy:Http:Credentials:weird:AllowedUrls:0"] = "ftp://x/",
            ["Policy:Http:Credentials:env:Scheme"] = "bearer",
            ["Policy:Http:Credentials:env:FromEnvironment"] = "OPS_TEST_NOT_SET",
            ["Policy:Http:Credentials:header:Scheme"] = "header",
            ["Policy:Http:Credentials:header:Header"] = "X Api Key",
            ["Policy:Http:Credentials:header:Value"] = "hdr-secret-9",
            ["Policy:Http:Credentials:header:AllowedUrls:0"] = "https://api.internal/",
            ["Policy:Http:AllowedMutations:0"] = "/admin",
            ["Policy:Archives:Directory"] = "backups",
            ["Policy:Redis:Instances:both:Host"] = "h",
            ["Policy:Redis:Instances:both:UnixSocket"] = "/s",
            ["Policy:Redis:Instances:none:Port"] = "70000",
            ["Policy:RabbitMq:Endpoints:broker:Url"] = "http://rabbit.internal:15672",
            ["Policy:RabbitMq:Endpoints:broker:Credential"] = "header",
            ["Policy:RabbitMq:Endpoints:lost:Url"] = "http://rabbit.internal:15672",
            ["Policy:RabbitMq:Endpoints:lost:Credential"] = "missing",
        })).Failures!.ToList();

        Assert.Equal(
            [
                "Policy:Archives:Directory 'backups' must be an absolute path.",
                "Policy:Http:AllowedMutations:0: '/admin' must be an absolute http:// or https:// URL without user info.",
                "Policy:Http:Credentials:env:AllowedUrls must list the URL prefixes this credential may be sent to.",
                "Policy:Http:Credentials:env:FromEnvironment: the environment variable 'OPS_TEST_NOT_SET' is not set.",
                "Policy:Http:Credentials:header:Header 'X Api Key' is not a header name (RFC 9110 token).",
                "Policy:Http:Credentials:nouser:Username is required for a basic credential and cannot contain ':' (RFC 7617).",
                "Policy:Http:Credentials:weird:AllowedUrls:0: 'ftp://x/' must be an absolute http:// or https:// URL without user info.",
                "Policy:Http:Credentials:weird:Scheme 'digest' is not one of basic, bearer, header.",
                "Policy:RabbitMq:Endpoints:broker: credential 'header' may not be sent to 'http://rabbit.internal:15672' (add it to Policy:Http:Credentials:header:AllowedUrls).",
                "Policy:RabbitMq:Endpoints:lost:Credential 'missing' is not in Policy:Http:Credentials.",
                "Policy:Redis:Instances:both: set exactly one of Host (with Port) or UnixSocket.",
                "Policy:Redis:Instances:none: set exactly one of Host (with Port) or UnixSocket.",
                "Policy:Redis:Instances:none:Port must be 1–65535 (got 70000).",
            ],
            failures.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("pw-nouser-123", StringComparison.Ordinal) || f.Contains("hdr-secret-9", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://api.internal/admin/", "https://api.internal/admin/ingest", true)]
    [InlineData("https://api.internal/admin/", "https://API.internal:443/admin/ingest?now=1", true)]
    [InlineData("https://api.internal/admin", "https://api.internal/admin", true)]
    [InlineData("https://api.internal/admin", "https://api.internal/administrator", false)]
    [InlineData("https://api.internal/admin/", "https://api.internal/admin/../users/delete", false)]
    [InlineData("https://api.internal/admin/", "https://api.internal/admin/x%2F..%2F..%2Fusers", false)]
    [InlineData("https://api.internal/admin/", "https://api.internal/admin/%2e%2e/users", false)]
    [InlineData("https://api.internal/admin/", "https://api.internal/admin/..%5c..%5cusers", false)]
    [InlineData("https://api.internal/admin/", "http://api.internal/admin/ingest", false)]
    [InlineData("https://api.internal/admin/", "https://api.internal:8443/admin/ingest", false)]
    [InlineData("https://api.internal/admin/", "https://api.internal.evil.test/admin/ingest", false)]
    [InlineData("http://rabbit:15672/api/", "http://rabbit:15672/api/queues/%2F/celery", true)]
    public void UrlPrefix_CoversOnlyTheSameOriginAndPathsBelowThePrefix(string prefix, string url, bool covered) =>
        Assert.Equal(covered, UrlPrefix.Covers(prefix, new Uri(url)));

    [Fact]
    public void Redactor_CollectsCredentialsAsSent_HeaderValues_AndEnvironmentSecrets()
    {
        Environment.SetEnvironmentVariable("OPS_TEST_REDIS_PASSWORD", "redis-env-pw-42");
        Environment.SetEnvironmentVariable("OPS_TEST_ADMIN_PASSWORD", "from-env-pw-1");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:Http:Credentials:admin-api:Scheme"] = "basic",
            ["Policy:Http:Credentials:admin-api:Username"] = "admin",
            ["Policy:Http:Credentials:admin-api:FromEnvironment"] = "OPS_TEST_ADMIN_PASSWORD",
            ["Policy:Http:Credentials:admin-api:AllowedUrls:0"] = "https://api.internal/admin/",
            ["Policy:Http:Credentials:key:Scheme"] = "header",
            ["Policy:Http:Credentials:key:Header"] = "X-Api-Key",
            ["Policy:Http:Credentials:key:Value"] = "hdr-secret-9",
            ["Policy:Http:Credentials:key:AllowedUrls:0"] = "https://api.internal/",
            ["Policy:Redis:Instances:celery:Host"] = "127.0.0.1",
            ["Policy:Redis:Instances:celery:FromEnvironment"] = "OPS_TEST_REDIS_PASSWORD",
        }).Build();
        var redactor = new Redactor(configuration);
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:from-env-pw-1"));

        var text = $"echo: Basic {basic} / {basic} / from-env-pw-1 / X-Api-Key: hdr-secret-9 / AUTH redis-env-pw-42 / OPS_TEST_ADMIN_PASSWORD";

        Assert.Equal("echo: [REDACTED] / [REDACTED] / [REDACTED] / X-Api-Key: [REDACTED] / AUTH [REDACTED] / OPS_TEST_ADMIN_PASSWORD", redactor.Redact(text));
    }

    private static PolicyOptions Bind(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(PolicyOptions.SectionName).Get<PolicyOptions>() ?? new PolicyOptions();
}
