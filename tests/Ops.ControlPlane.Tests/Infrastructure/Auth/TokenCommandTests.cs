using Microsoft.IdentityModel.JsonWebTokens;
using Ops.ControlPlane.Infrastructure.Auth;
using Xunit;

namespace Ops.ControlPlane.Tests.Infrastructure.Auth;

public sealed class TokenCommandTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("8h", 28800)]
    [InlineData("7d", 604800)]
    public void TryParseTtl_AcceptsUnits(string text, int seconds)
    {
        Assert.True(TokenCommand.TryParseTtl(text, out var ttl));
        Assert.Equal(TimeSpan.FromSeconds(seconds), ttl);
    }

    [Theory]
    [InlineData("8")]
    [InlineData("h")]
    [InlineData("-1h")]
    [InlineData("0h")]
    [InlineData("400d")]
    [InlineData("8w")]
    public void TryParseTtl_RefusesOthers(string text) => Assert.False(TokenCommand.TryParseTtl(text, out _));

    [Fact]
    public void Run_MintsATokenWithSubjectRoleAndExpiry()
    {
        Environment.SetEnvironmentVariable("Auth__SigningKey", "cli-test-key-cli-test-key-cli-test-key!!");
        try
        {
            var output = new StringWriter();
            var code = TokenCommand.Run(["--sub", "alice", "--role", "operator", "--ttl", "2h"], output, TextWriter.Null);

            Assert.Equal(0, code);
            var jwt = new JsonWebToken(output.ToString().Trim());
            Assert.Equal("alice", jwt.Subject);
            Assert.Equal("operator", jwt.GetClaim("role").Value);
            Assert.InRange(jwt.ValidTo - jwt.IssuedAt, TimeSpan.FromMinutes(119), TimeSpan.FromMinutes(121));
        }
        finally
        {
            Environment.SetEnvironmentVariable("Auth__SigningKey", null);
        }
    }

    [Fact]
    public void Run_WithAnUnknownRole_FailsWithUsage()
    {
        var error = new StringWriter();
        Assert.Equal(2, TokenCommand.Run(["--sub", "x", "--role", "root"], TextWriter.Null, error));
        Assert.Contains("Unknown role", error.ToString(), StringComparison.Ordinal);
    }
}
