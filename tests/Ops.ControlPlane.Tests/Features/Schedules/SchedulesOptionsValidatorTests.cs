using Ops.ControlPlane.Features.Schedules;

namespace Ops.ControlPlane.Tests.Features.Schedules;

/// <summary>The <c>Schedules</c> section is checked at start and every bad value is reported with its key.</summary>
public sealed class SchedulesOptionsValidatorTests
{
    [Fact]
    public void Validate_WhenEveryValueIsOutOfRange_ReportsEachByConfigurationKey()
    {
        var result = new SchedulesOptionsValidator().Validate(null, new SchedulesOptions { MinIntervalSeconds = 0, LateAfterSeconds = 7200 });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Schedules:MinIntervalSeconds", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Schedules:LateAfterSeconds", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_WithTheDefaults_Succeeds() =>
        Assert.True(new SchedulesOptionsValidator().Validate(null, new SchedulesOptions()).Succeeded);

    [Fact]
    public async Task Host_WhenMinIntervalIsInvalid_DoesNotStart()
    {
        await using var host = new ScheduleFactory(null, new Dictionary<string, string?> { ["Schedules:MinIntervalSeconds"] = "-3" })
        {
            SharedConnectionString = await Ops.ControlPlane.Tests.TestSupport.TestCluster.CreateDatabaseAsync("options"),
        };
        var error = await Assert.ThrowsAnyAsync<Exception>(host.InitializeAsync);
        Assert.Contains("Schedules:MinIntervalSeconds", error.ToString(), StringComparison.Ordinal);
    }
}
