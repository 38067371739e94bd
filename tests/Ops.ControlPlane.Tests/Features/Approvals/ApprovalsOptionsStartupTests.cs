using Microsoft.Extensions.Options;
using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.Features.Approvals;

public sealed class ApprovalsOptionsStartupTests
{
    private sealed class ZeroTtlFactory : OpsApiFactory
    {
        public ZeroTtlFactory() => Settings["Approvals:DefaultTtl"] = "00:00:00";
    }

    [Fact]
    public async Task Start_WithAZeroDefaultTtl_FailsNamingTheSetting()
    {
        await using var factory = new ZeroTtlFactory();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(factory.InitializeAsync);

        Assert.Contains("Approvals:DefaultTtl", failure.Message, StringComparison.Ordinal);
    }
}
