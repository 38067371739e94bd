using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Ops.Agent.Tests.TestSupport;

namespace Ops.Agent.Tests.Native;

/// <summary>
/// The real control plane (<c>dotnet Ops.ControlPlane.dll</c>) on its embedded PostgreSQL in a
/// fresh <c>OPS_HOME</c> under /tmp/ops-tests-* (which <c>./ops test</c> cleans up after a killed
/// run), on free loopback ports; an admin token minted with its own <c>token</c> command.
/// </summary>
public sealed class RealControlPlane : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly Process process;
    private readonly StringBuilder output = new();

    private RealControlPlane(Process process, string home, int httpPort, int grpcPort)
    {
        this.process = process;
        Home = home;
        GrpcAddress = $"http://127.0.0.1:{grpcPort}";
        Api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Home { get; }

    public string GrpcAddress { get; }

    /// <summary>REST client with the admin token once <see cref="StartAsync"/> returned.</summary>
    public HttpClient Api { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the control plane on free ports. The admin token is minted first (it creates the
    /// signing key in the fresh <c>OPS_HOME</c>), and readiness is an authenticated request: a
    /// free port can be taken by another test's server between choosing and binding it, and such a
    /// server answers 401, never ready. A start that lost its port that way is retried on new ports.
    /// </summary>
    public static async Task<RealControlPlane> StartAsync(string dll)
    {
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first (dotnet build Ops.sln -c Release).");
        for (var attempt = 1; ; attempt++)
        {
            var home = Path.Combine(Path.GetTempPath(), $"ops-tests-native-{Guid.NewGuid():N}"[..28]);
            Directory.CreateDirectory(home);
            var token = await MintAdminTokenAsync(dll, home);
            var (http, grpc) = (FreePort(), FreePort());
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(dll);
            Environment(info, home);
            info.Environment["OPS_HTTP_PORT"] = http.ToString(CultureInfo.InvariantCulture);
            info.Environment["OPS_GRPC_PORT"] = grpc.ToString(CultureInfo.InvariantCulture);
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var controlPlane = new RealControlPlane(process, home, http, grpc);
            controlPlane.Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            process.OutputDataReceived += (_, e) => controlPlane.Append(e.Data);
            process.ErrorDataReceived += (_, e) => controlPlane.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            await Eventually.TrueAsync(() => process.HasExited || IsReady(controlPlane.Api), "the control plane to become ready", StartTimeout);
            if (!process.HasExited)
            {
                return controlPlane;
            }

            var output = controlPlane.Output;
            await controlPlane.DisposeAsync();
            Assert.True(attempt < 3 && output.Contains("address already in use", StringComparison.OrdinalIgnoreCase),
                "the control plane exited during start-up:\n" + output);
        }
    }

    /// <summary>A one-use enrollment token (<c>POST /api/v1/enrollment-tokens</c>).</summary>
    public async Task<string> CreateEnrollmentTokenAsync()
    {
        using var created = await Api.PostAsJsonAsync("/api/v1/enrollment-tokens", new { maxUses = 1, expiresInMinutes = 10 });
        Assert.True(created.IsSuccessStatusCode, $"POST /api/v1/enrollment-tokens: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        if (!process.HasExited)
        {
            // SIGTERM: the control plane stops its embedded PostgreSQL on the way out.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        process.Dispose();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static bool IsReady(HttpClient api)
    {
        try
        {
            // Ready, and ours: only this control plane accepts the token minted for its OPS_HOME.
            using var response = api.GetAsync("/api/v1/agents?limit=1").GetAwaiter().GetResult();
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task<string> MintAdminTokenAsync(string dll, string home)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "token", "--sub", "native-agent-test", "--role", "admin", "--ttl", "1h" })
        {
            info.ArgumentList.Add(arg);
        }

        Environment(info, home);
        using var process = Process.Start(info)!;
        var token = (await process.StandardOutput.ReadToEndAsync()).Trim();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0 && token.Length > 0, $"ops token failed ({process.ExitCode}): {error}");
        return token;
    }

    private static void Environment(ProcessStartInfo info, string home)
    {
        info.Environment["OPS_HOME"] = home;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
