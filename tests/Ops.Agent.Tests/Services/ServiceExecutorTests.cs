using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Agent.Execution;
using Ops.Agent.Postgres;
using Ops.Agent.Services;
using Ops.Agent.Tests.Postgres;
using Ops.Contracts.Kinds.Parameters;

namespace Ops.Agent.Tests.Services;

/// <summary>service.status and service.restart through stand-in docker / systemctl executables: exact argv, documented output formats, seed 002's backup rule.</summary>
public sealed class ServiceExecutorTests : IDisposable
{
    private static readonly ProcessRunner Runner = new(TimeProvider.System, NullLogger<ProcessRunner>.Instance);
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly StandInTools tools = new();
    private readonly string backups = Path.Combine(Path.GetTempPath(), "ops-service-backups-" + Guid.NewGuid().ToString("N")[..12]);

    private static readonly string[] ComposePrefix = ["compose", "--file", "/opt/app/docker-compose.yml", "--project-name", "manalytics"];

    public void Dispose()
    {
        tools.Dispose();
        if (Directory.Exists(backups))
        {
            Directory.Delete(backups, recursive: true);
        }
    }

    [Fact]
    public async Task ComposeStatus_ReadsOneJsonObjectPerLine()
    {
        tools.Reply("ps", """
            {"Command":"\"uvicorn\"","CreatedAt":"2026-11-22 10:00:00 +0000 UTC","ExitCode":0,"Health":"","ID":"a1","Image":"manalytics-api","Name":"manalytics-api-1","Project":"manalytics","Service":"api","State":"running","Status":"Up 2 hours"}
            {"Command":"\"uvicorn\"","CreatedAt":"2026-11-22 10:00:00 +0000 UTC","ExitCode":0,"Health":"","ID":"a2","Image":"manalytics-api","Name":"manalytics-api-2","Project":"manalytics","Service":"api","State":"running","Status":"Up 2 hours"}
            {"Command":"\"postgres\"","CreatedAt":"2026-11-22 10:00:00 +0000 UTC","ExitCode":0,"Health":"healthy","ID":"d1","Image":"postgres:15","Name":"manalytics-db-1","Project":"manalytics","Service":"db","State":"running","Status":"Up 2 hours (healthy)"}
            """);

        var run = await Executions.RunAsync(new ServiceStatusExecutor(Compose(), Runner), new ServiceStatusParameters(["api", "db"]));

        Assert.True(run.Result.Succeeded, run.Result.Error);
        var call = Assert.Single(tools.Calls("docker"));
        Assert.Equal([.. ComposePrefix, "ps", "--all", "--format", "json"], call);
        Assert.Equal("compose", run.Json.GetProperty("manager").GetString());
        Assert.True(run.Json.GetProperty("allRunning").GetBoolean());
        var services = run.Json.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(["api", "db"], services.Select(s => s.GetProperty("service").GetString()));
        Assert.Equal(2, services[0].GetProperty("instances").GetArrayLength());
        Assert.Equal("healthy", services[1].GetProperty("instances")[0].GetProperty("health").GetString());
        Assert.Contains("manalytics-api", run.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComposeStatus_ReadsTheOlderJsonArray_AndFailsNamingTheServiceThatIsDown()
    {
        tools.Reply("ps", """
            [{"Name":"manalytics-api-1","Service":"api","State":"running","Health":"","Status":"Up 5 minutes"},
             {"Name":"manalytics-worker-1","Service":"worker","State":"exited","Health":"","Status":"Exited (1) 3 minutes ago","ExitCode":1}]
            """);

        var run = await Executions.RunAsync(new ServiceStatusExecutor(Compose(), Runner), new ServiceStatusParameters(["api", "worker"]));

        Assert.False(run.Result.Succeeded);
        Assert.Equal("not running: worker (exited)", run.Result.Error);
        var worker = run.Json.GetProperty("services")[1];
        Assert.Equal("exited", worker.GetProperty("state").GetString());
        Assert.Equal("Exited (1) 3 minutes ago", worker.GetProperty("detail").GetString());
        Assert.True(run.Json.GetProperty("services")[0].GetProperty("running").GetBoolean());
    }

    [Fact]
    public async Task ComposeRestart_RestartsOneServiceThenReadsItsState()
    {
        tools.Reply("restart", string.Empty, stderr: " Container manalytics-api-1  Restarting\n Container manalytics-api-1  Started\n");
        tools.Reply("ps", """{"Name":"manalytics-api-1","Service":"api","State":"running","Health":"","Status":"Up 1 second"}""");

        var run = await Executions.RunAsync(Restart(Compose()), new ServiceRestartParameters("api"));

        Assert.True(run.Result.Succeeded, run.Result.Error);
        var calls = tools.Calls("docker");
        Assert.Equal(2, calls.Count);
        Assert.Equal([.. ComposePrefix, "restart", "api"], calls[0]);
        Assert.Equal([.. ComposePrefix, "ps", "--all", "--format", "json"], calls[1]);
        Assert.Equal("running", run.Json.GetProperty("state").GetProperty("state").GetString());
        Assert.Contains("Container manalytics-api-1  Started", run.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestartOfTheDatabase_WithoutAnyBackup_IsRefusedAndRunsNothing()
    {
        var run = await Executions.RunAsync(Restart(Compose()), new ServiceRestartParameters("db"));

        Assert.False(run.Result.Succeeded);
        Assert.StartsWith("refusing to restart 'db': it is the database server of 'demo'", run.Result.Error, StringComparison.Ordinal);
        Assert.Contains("no successful full postgres.backup of 'demo' finished in the last 24 h", run.Result.Error, StringComparison.Ordinal);
        Assert.Contains($"there is no backup of 'demo' in {backups}", run.Result.Error, StringComparison.Ordinal);
        Assert.Contains("seed 002: never restart postgres without a backup", run.Result.Error, StringComparison.Ordinal);
        Assert.Empty(tools.Calls("docker"));
    }

    [Fact]
    public async Task RestartOfTheDatabase_WithOnlyAStaleBackup_IsRefusedNamingIt()
    {
        await WriteBackupAsync("demo_20261121_020000.dump", finishedAt: Now.AddHours(-30));
        await WriteBackupAsync("demo_20261122_020000.dump", finishedAt: Now.AddHours(-2), dataOnly: true); // not a full backup

        var run = await Executions.RunAsync(Restart(Compose()), new ServiceRestartParameters("db"));

        Assert.False(run.Result.Succeeded);
        Assert.Contains("the latest, demo_20261121_020000.dump, finished at 2026-11-21T06:00:00Z (30 h ago)", run.Result.Error, StringComparison.Ordinal);
        Assert.Empty(tools.Calls("docker"));
    }

    [Fact]
    public async Task RestartOfTheDatabase_AfterARecentBackup_Proceeds()
    {
        await WriteBackupAsync("demo_20261122_100000.dump", finishedAt: Now.AddHours(-2));
        tools.Reply("ps", """{"Name":"manalytics-db-1","Service":"db","State":"running","Health":"healthy","Status":"Up 3 seconds (healthy)"}""");

        var run = await Executions.RunAsync(Restart(Compose()), new ServiceRestartParameters("db"));

        Assert.True(run.Result.Succeeded, run.Result.Error);
        Assert.Equal("demo_20261122_100000.dump", run.Json.GetProperty("backup").GetString());
        Assert.Equal([.. ComposePrefix, "restart", "db"], tools.Calls("docker")[0]);
    }

    [Fact]
    public async Task Restart_WhenTheToolFails_ReportsItsExitCode()
    {
        tools.Reply("restart", string.Empty, exitCode: 3, stderr: "no such service: api\n");

        var run = await Executions.RunAsync(Restart(Compose()), new ServiceRestartParameters("api"));

        Assert.False(run.Result.Succeeded);
        Assert.Equal(3, run.Result.ExitCode);
        Assert.Equal("restart of 'api' failed: docker exited with code 3.", run.Result.Error);
        Assert.Contains("no such service: api", run.Output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownService_FailsNamingThePolicyKey()
    {
        var run = await Executions.RunAsync(Restart(Compose()), new ServiceRestartParameters("redis"));

        Assert.False(run.Result.Succeeded);
        Assert.Equal("service 'redis' is not in this agent's policy (Policy:Services:Allowed; known: api, db, worker).", run.Result.Error);
        Assert.Empty(tools.Calls("docker"));
    }

    [Fact]
    public async Task SwarmStatus_ListsServicesThenTheirTasks_AndFlagsMissingReplicas()
    {
        tools.Reply("ls", """
            {"ID":"k1","Image":"taxcollector:v2.1.0","Mode":"replicated","Name":"taxcollector_web","Ports":"*:80->8000/tcp","Replicas":"3/3"}
            {"ID":"k2","Image":"taxcollector:v2.1.0","Mode":"replicated","Name":"taxcollector_celery","Ports":"","Replicas":"4/6 (max 2 per node)"}
            {"ID":"k3","Image":"other","Mode":"replicated","Name":"taxcollector_web_old","Ports":"","Replicas":"0/0"}
            """);
        tools.Reply("ps", """
            {"CurrentState":"Running 2 hours ago","DesiredState":"Running","Error":"","ID":"t1","Image":"taxcollector:v2.1.0","Name":"taxcollector_web.1","Node":"node1","Ports":""}
            {"CurrentState":"Running 2 hours ago","DesiredState":"Running","Error":"","ID":"t2","Image":"taxcollector:v2.1.0","Name":"taxcollector_web.2","Node":"node2","Ports":""}
            """);

        var run = await Executions.RunAsync(new ServiceStatusExecutor(Swarm(), Runner), new ServiceStatusParameters(["web", "celery"]));

        Assert.False(run.Result.Succeeded);
        Assert.Equal("not running: celery (degraded)", run.Result.Error);
        var calls = tools.Calls("docker");
        Assert.Equal(["service", "ls", "--format", "{{json .}}"], calls[0]);
        Assert.Equal(["service", "ps", "--filter", "desired-state=running", "--format", "{{json .}}", "taxcollector_web"], calls[1]);
        Assert.Equal(["service", "ps", "--filter", "desired-state=running", "--format", "{{json .}}", "taxcollector_celery"], calls[2]);
        var web = run.Json.GetProperty("services")[0];
        Assert.Equal("taxcollector_web", web.GetProperty("name").GetString());
        Assert.Equal("running", web.GetProperty("state").GetString());
        Assert.Equal("replicas 3/3 (replicated)", web.GetProperty("detail").GetString());
        Assert.Equal("Running 2 hours ago", web.GetProperty("instances")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task SwarmRestart_ForcesARollingUpdate()
    {
        tools.Reply("ls", """{"ID":"k1","Image":"taxcollector:v2.1.0","Mode":"replicated","Name":"taxcollector_web","Ports":"","Replicas":"3/3"}""");
        tools.Reply("ps", string.Empty);

        var run = await Executions.RunAsync(Restart(Swarm()), new ServiceRestartParameters("web"));

        Assert.True(run.Result.Succeeded, run.Result.Error);
        Assert.Equal(["service", "update", "--force", "--detach=false", "taxcollector_web"], tools.Calls("docker")[0]);
    }

    [Fact]
    public async Task SystemdStatusAndRestart_UseSystemctlShowAndRestart()
    {
        tools.Reply("show", "ActiveState=active\nSubState=running\nLoadState=loaded\nMainPID=1234\nExecMainStartTimestamp=Sun 2026-11-22 10:00:00 UTC\n");

        var status = await Executions.RunAsync(new ServiceStatusExecutor(Systemd(), Runner), new ServiceStatusParameters(["nginx"]));
        var restart = await Executions.RunAsync(Restart(Systemd()), new ServiceRestartParameters("nginx"));

        Assert.True(status.Result.Succeeded, status.Result.Error);
        var calls = tools.Calls("systemctl");
        string[] show = ["show", "-p", "ActiveState,SubState,LoadState,MainPID,ExecMainStartTimestamp", "--no-pager", "nginx.service"];
        Assert.Equal(show, calls[0]);
        Assert.Equal(["restart", "nginx.service"], calls[1]);
        Assert.Equal(show, calls[2]);
        var nginx = status.Json.GetProperty("services")[0];
        Assert.Equal("active", nginx.GetProperty("state").GetString());
        Assert.Equal("MainPID=1234", nginx.GetProperty("instances")[0].GetProperty("name").GetString());
        Assert.Equal("running", nginx.GetProperty("instances")[0].GetProperty("state").GetString());
        Assert.True(restart.Result.Succeeded, restart.Result.Error);
        Assert.Empty(tools.Calls("docker"));
    }

    [Fact]
    public async Task SystemdStatus_OfAMissingUnit_Fails()
    {
        tools.Reply("show", "ActiveState=inactive\nSubState=dead\nLoadState=not-found\nMainPID=0\nExecMainStartTimestamp=\n");

        var run = await Executions.RunAsync(new ServiceStatusExecutor(Systemd(), Runner), new ServiceStatusParameters(["nginx"]));

        Assert.False(run.Result.Succeeded);
        Assert.Equal("not running: nginx (not-found)", run.Result.Error);
    }

    [Fact]
    public async Task UnknownManager_FailsNamingTheKey()
    {
        var policy = Policy(new() { ["Policy:Services:Manager"] = "k8s", ["Policy:Services:Allowed:api:Name"] = "api" });

        var run = await Executions.RunAsync(new ServiceStatusExecutor(policy, Runner), new ServiceStatusParameters());

        Assert.Equal("Policy:Services:Manager 'k8s' is not compose, swarm or systemd.", run.Result.Error);
    }

    private ServiceRestartExecutor Restart(IConfiguration policy) =>
        new(policy, Runner, new ManualTimeProvider(Now), NullLogger<ServiceRestartExecutor>.Instance);

    private IConfiguration Compose() => Policy(new()
    {
        ["Policy:Services:Manager"] = "compose",
        ["Policy:Services:ComposeFile"] = "/opt/app/docker-compose.yml",
        ["Policy:Services:ComposeProject"] = "manalytics",
        ["Policy:Services:Allowed:api:Name"] = "api",
        ["Policy:Services:Allowed:worker:Name"] = "worker",
        ["Policy:Services:Allowed:db:Name"] = "db",
        ["Policy:Services:Allowed:db:Database"] = "demo",
    });

    private IConfiguration Swarm() => Policy(new()
    {
        ["Policy:Services:Manager"] = "swarm",
        ["Policy:Services:Stack"] = "taxcollector",
        ["Policy:Services:Allowed:web:Name"] = "web",
        ["Policy:Services:Allowed:celery:Name"] = "celery",
    });

    private IConfiguration Systemd() => Policy(new()
    {
        ["Policy:Services:Manager"] = "systemd",
        ["Policy:Services:Allowed:nginx:Name"] = "nginx.service",
    });

    private IConfiguration Policy(Dictionary<string, string?> settings)
    {
        settings["Policy:Services:SearchPath"] = tools.SearchPath;
        settings["Postgres:BackupDirectory"] = backups;
        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    private async Task WriteBackupAsync(string file, DateTimeOffset finishedAt, bool dataOnly = false)
    {
        Directory.CreateDirectory(backups);
        var path = Path.Combine(backups, file);
        await File.WriteAllTextAsync(path, "dump");
        await BackupCatalog.WriteManifestAsync(
            path, new BackupManifest("demo", file, "custom", dataOnly, [], 4, new string('0', 64), finishedAt.AddMinutes(-1), finishedAt, true), CancellationToken.None);
    }
}
