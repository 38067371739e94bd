using System.Diagnostics;

namespace Ops.ControlPlane.Tests.Infrastructure.Http;

/// <summary>Invalid configuration stops the control plane at start with exit code 2 and every error by key.</summary>
public sealed class StartupValidationTests
{
    [Fact]
    public async Task Start_WithBadOptions_ExitsWithCode2ListingEveryErrorByKey()
    {
        var (code, stderr) = await RunAsync(new()
        {
            ["AgentProtocol__MaxJobsPerPull"] = "0",
            ["Agents__HeartbeatIntervalMs"] = "60000",
        });

        Assert.Equal(2, code);
        Assert.Contains("AgentProtocol:MaxJobsPerPull", stderr, StringComparison.Ordinal);
        Assert.Contains("Agents:HeartbeatIntervalMs (60000 ms) must be at most half of AgentProtocol:RunningGrace", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAValueThatDoesNotConvert_ExitsWithCode2NamingTheKey()
    {
        var (code, stderr) = await RunAsync(new() { ["Agents__HeartbeatIntervalMs"] = "ten seconds" });

        Assert.Equal(2, code);
        Assert.Contains("Agents:HeartbeatIntervalMs", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Stderr)> RunAsync(Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(typeof(Program).Assembly.Location);
        // Never reaches the database: validation happens before anything starts.
        info.Environment["ConnectionStrings__Ops"] = "Host=/nonexistent-ops-test";
        info.Environment["OPS_HTTP_PORT"] = "1";
        info.Environment["OPS_GRPC_PORT"] = "2";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        _ = process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr);
    }
}
