using System.Text.Json;
using Ops.ControlPlane.Features.Approvals;

namespace Ops.ControlPlane.Tests.Features.Approvals;

public sealed class CanonicalJsonTests
{
    private static string Canonical(string json) => CanonicalJson.Serialize(JsonDocument.Parse(json).RootElement);

    [Fact]
    public void Serialize_SortsKeysAtEveryDepthAndDropsWhitespace()
    {
        Assert.Equal(
            """{"a":[{"x":1,"y":2},3],"b":{"c":null,"d":"é"}}""",
            Canonical("""{ "b": { "d": "é", "c": null }, "a": [ { "y": 2, "x": 1 }, 3 ] }"""));
    }

    [Fact]
    public void Serialize_WritesEqualNumbersTheSameWay()
    {
        Assert.Equal(Canonical("""{"n":1}"""), Canonical("""{"n":1.0}"""));
        Assert.Equal(Canonical("""{"n":100}"""), Canonical("""{"n":1e2}"""));
        Assert.Equal("""{"n":0.5}""", Canonical("""{"n":5e-1}"""));
        Assert.NotEqual(Canonical("""{"n":1}"""), Canonical("""{"n":"1"}"""));
    }

    [Fact]
    public void Hash_IsTheLowercaseHexSha256OfTheUtf8Text()
    {
        // SHA-256("{}") from any implementation, e.g. `printf '{}' | sha256sum`.
        Assert.Equal("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", CanonicalJson.Hash("{}"));
    }

    [Fact]
    public void Serialize_OfAnObject_UsesTheApiNamesAndKeepsArrayOrder()
    {
        var canonical = CanonicalJson.Serialize(new { Zeta = new[] { "b", "a" }, Alpha = ApprovalStatus.Pending });

        Assert.Equal("""{"alpha":"pending","zeta":["b","a"]}""", canonical);
    }

    [Fact]
    public void OptionsValidator_RefusesATtlOutsideOneSecondToThirtyDays()
    {
        var validator = new ApprovalsOptionsValidator();

        Assert.True(validator.Validate(null, new ApprovalsOptions()).Succeeded);
        var zero = validator.Validate(null, new ApprovalsOptions { DefaultTtl = TimeSpan.Zero });
        Assert.True(zero.Failed);
        Assert.Contains("Approvals:DefaultTtl", zero.FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new ApprovalsOptions { DefaultTtl = TimeSpan.FromDays(31) }).Failed);
    }
}
