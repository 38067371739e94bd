using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ops.Contracts.Tests.Grpc.Interop;

using Ops.ControlPlane.Tests.TestSupport;

namespace Ops.ControlPlane.Tests.EndToEnd;

/// <summary>
/// The seeds' routines end to end, as a user runs them: <c>./ops up</c> (the real control plane,
/// embedded PostgreSQL with the demo database, the local agent under the demo policy, all real
/// processes), then the scripts of <c>examples/</c> with curl and jq. Every step's result is
/// checked by the scripts themselves (they exit non-zero when one did not succeed) and here.
/// </summary>
public sealed class ExamplesTests : IClassFixture<ExamplesTests.OpsUp>
{
    private readonly OpsUp _up;

    public ExamplesTests(OpsUp up) => _up = up;

    private async Task<string> RunExampleAsync(string script)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(NodeInterop.RepositoryRoot, "examples", script));
        info.Environment["OPS_HOME"] = _up.Home;
        info.Environment["OPS_URL"] = $"http://127.0.0.1:{_up.HttpPort}";
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{script} exited {process.ExitCode}:\n{output}");
        return output;
    }

    private static int Count(string text, string fragment) => text.Split(fragment).Length - 1;

    [Fact]
    public async Task DailyRoutineOfSeed000_RunsEveryStepToSucceeded()
    {
        var output = await RunExampleAsync("daily-routine.sh");
        Assert.Equal(7, Count(output, "status: succeeded"));
        Assert.Contains("\"freeBytes\"", output, StringComparison.Ordinal);
        Assert.Contains("pg_dump of 'demo'", output, StringComparison.Ordinal);
        Assert.Contains("ERROR db", output, StringComparison.Ordinal);
        Assert.Contains("pipeline done", output, StringComparison.Ordinal);
        var backups = Directory.GetFiles(Path.Combine(_up.Home, "backups"), "demo_*.dump");
        Assert.NotEmpty(backups);
    }

    [Fact]
    public async Task WeeklyMaintenanceOfSeed004_VerifiesTheBackup()
    {
        var output = await RunExampleAsync("weekly-maintenance.sh");
        Assert.Equal(4, Count(output, "status: succeeded"));
        Assert.Contains("\"passed\": true", output, StringComparison.Ordinal);
        Assert.Contains("\"scratchDropped\": true", output, StringComparison.Ordinal);
        Assert.Contains("\"deadTuplesAfter\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SafeChangeOfSeed002_BacksUpTheConfigFileBeforeAnyChange()
    {
        var output = await RunExampleAsync("safe-config-change.sh");
        Assert.Contains("configuration backed up", output, StringComparison.Ordinal);
        var copies = Directory.GetFiles(Path.Combine(_up.Home, "demo"), "app.yml.backup-*");
        Assert.NotEmpty(copies);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(_up.Home, "demo", "app.yml")), await File.ReadAllTextAsync(copies[0]));
        Assert.Contains("(service.status)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VolumesAndQueuesOfSeeds001To004_ArchiveRestorePostAndRedisCheck_Succeed()
    {
        var output = await RunExampleAsync("volumes-and-queues.sh");
        Assert.Equal(4, Count(output, "status: succeeded")); // ./ops test installs redis-server, so the demo has its Redis
        Assert.Contains("LLEN celery -> 3", output, StringComparison.Ordinal);
        Assert.Contains("(credential demo.api) -> 202", output, StringComparison.Ordinal);
        var restored = Directory.GetDirectories(Path.Combine(_up.Home, "restore"), "config-*").Single();
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(_up.Home, "demo", "app.yml")), await File.ReadAllTextAsync(Path.Combine(restored, "app.yml")));
        Assert.False(File.Exists(Path.Combine(restored, "app.log"))); // excluded
        Assert.DoesNotContain(await File.ReadAllTextAsync(Path.Combine(_up.Home, "redis", "password")), output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataChecksOfSeed001_PassWithTheirObservedValues()
    {
        var output = await RunExampleAsync("data-checks.sh");
        Assert.Equal(2, Count(output, "status: succeeded"));
        Assert.Contains("\"passed\": true", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchedulesOfTheSeeds_AreAppliedByOpsUpAndATriggeredBackupRecordsItsSlotAndOutcome()
    {
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_up.HttpPort}") };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", (await File.ReadAllTextAsync(Path.Combine(_up.Home, "admin.token"))).Trim());
        var schedules = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/api/v1/schedules")).RootElement.GetProperty("items");
        var byName = schedules.EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(Directory.GetFiles(Path.Combine(NodeInterop.RepositoryRoot, "examples", "schedules"), "*.json").Length, byName.Count);
        Assert.All(byName, s => Assert.Equal(s.Key != "heartbeat", s.Value.GetProperty("paused").GetBoolean()));

        var backup = byName["backup-db"];
        Assert.Equal(("0 2 * * *", "Europe/Paris"), (backup.GetProperty("cron").GetString(), backup.GetProperty("timeZone").GetString()));
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        Assert.All(backup.GetProperty("nextRuns").EnumerateArray(), run =>
        {
            var utc = run.GetProperty("utc").GetDateTimeOffset();
            Assert.Equal(new TimeSpan(2, 0, 0), TimeZoneInfo.ConvertTime(utc, paris).TimeOfDay);
            Assert.Equal(run.GetProperty("local").GetDateTimeOffset(), utc);
        });

        var trigger = await client.PostAsync("/api/v1/schedules/backup-db/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var operationId = System.Text.Json.JsonDocument.Parse(await trigger.Content.ReadAsStringAsync()).RootElement.GetProperty("slot").GetProperty("operationId").GetString();
        var until = DateTime.UtcNow.AddMinutes(2);
        System.Text.Json.JsonElement slot;
        do
        {
            await Task.Delay(200);
            slot = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/api/v1/schedules/backup-db/slots")).RootElement.GetProperty("items")[0];
        }
        while (slot.GetProperty("status").GetString() == "started" && DateTime.UtcNow < until);

        Assert.Equal(("succeeded", operationId), (slot.GetProperty("status").GetString(), slot.GetProperty("operationId").GetString()));
        Assert.True(slot.GetProperty("manual").GetBoolean());
    }

    /// <summary><c>./ops up</c> in a fresh OPS_HOME on free ports, for the whole class; stopped with SIGTERM.</summary>
    public sealed class OpsUp : IAsyncLifetime
    {
        private Process? _process;
        private readonly StringBuilder _log = new();

        public string Home { get; } = Path.Combine(Path.GetTempPath(), $"ops-e2e-{Guid.NewGuid():N}"[..20]);

        public int HttpPort { get; } = LoopbackPorts.Free();

        public int GrpcPort { get; } = LoopbackPorts.Free();

        public async Task InitializeAsync()
        {
            var root = NodeInterop.RepositoryRoot;
            Assert.True(File.Exists(Path.Combine(root, "src", "Agent", "bin", "Release", "net10.0", "Ops.Agent.dll")),
                "./ops up runs the Release build: build it first (./ops test does).");
            var info = new ProcessStartInfo(Path.Combine(root, "ops")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            info.ArgumentList.Add("up");
            info.Environment["OPS_HOME"] = Home;
            info.Environment["OPS_HTTP_PORT"] = HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["OPS_GRPC_PORT"] = GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["OPS_SKIP_BUILD"] = "1";
            _process = Process.Start(info)!;
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnLine(object? sender, DataReceivedEventArgs e)
            {
                lock (_log)
                {
                    _log.AppendLine(e.Data);
                }

                if (e.Data?.Contains("Ops is up.", StringComparison.Ordinal) == true)
                {
                    ready.TrySetResult();
                }
            }

            _process.OutputDataReceived += OnLine;
            _process.ErrorDataReceived += OnLine;
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            var finished = await Task.WhenAny(ready.Task, _process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(3)));
            Assert.True(finished == ready.Task, $"./ops up did not come up:\n{_log}");
        }

        public async Task DisposeAsync()
        {
            if (_process is { HasExited: false })
            {
                Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process?.Dispose();
            try
            {
                Directory.Delete(Home, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
