using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Ops.Benchmarks;

// ./ops bench [quick|hot] [dispatch-samples]: starts the real control plane (its embedded PostgreSQL in
// a fresh OPS_HOME), measures dispatch latency, end-to-end throughput, the PostgreSQL insert
// ceiling (pgbench), one operation fanned out to 1,000 agents, graphile-worker on the same cluster
// (tests/Ops.Benchmarks/graphile), a real agent's idle cost and the idle agents one control plane
// holds, and writes BENCHMARKS.md (quick: prints it). No assertions: numbers for people to read.
if (args is ["agent", .. var agentArgs])
{
    // ./ops bench agent [idle-seconds]: section 5 alone (the real agent, JIT and AOT), printed.
    await RealAgentBenchmark.RunAloneAsync(FindRoot(), agentArgs);
    return;
}

var options = BenchOptions.Parse(args);
var root = FindRoot();
var controlPlaneDll = Path.Combine(root, "src", "ControlPlane", "bin", "Release", "net10.0", "Ops.ControlPlane.dll");
var agentDll = Path.Combine(root, "src", "Agent", "bin", "Release", "net10.0", "Ops.Agent.dll");
var home = Path.Combine(Path.GetTempPath(), $"ops-bench-{Guid.NewGuid():N}"[..20]);
using var budget = new CancellationTokenSource(TimeSpan.FromMinutes(20));
var ct = budget.Token;
var clock = Stopwatch.StartNew();
var failures = new List<string>();
Console.WriteLine($"control plane: {controlPlaneDll}\nOPS_HOME: {home}\nmode: {(options.Quick ? "quick" : "full")}");

BenchReport report;
await using (var controlPlane = await ControlPlaneProcess.StartAsync(controlPlaneDll, home))
{
    var token = await ControlPlaneProcess.MintTokenAsync(controlPlaneDll, home, "admin");
    var restBase = new Uri($"http://127.0.0.1:{controlPlane.HttpPort}");
    var grpcAddress = new Uri($"http://127.0.0.1:{controlPlane.GrpcPort}");
    using var api = new HttpClient { BaseAddress = restBase, Timeout = TimeSpan.FromSeconds(60) };
    api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    var postgres = new PostgresTools(home);
    var postgresVersion = await postgres.ServerVersionAsync(ct);

    // 1. Dispatch latency, agents waiting, one operation at a time.
    Console.WriteLine("[1/5] dispatch latency");
    DispatchLatencyBenchmark.Result dispatch;
    PgPerJob dispatchPerJob;
    RequestFloors floors;
    using (var pool = new ChannelPool(grpcAddress, 500))
    {
        var enrollment = await AgentEnroller.CreateTokenAsync(api, 4, ct);
        var agents = await AgentEnroller.EnrollAsync(enrollment, pool, 4, "dispatch", 4, ct);
        var dispatchStart = await postgres.CountersAsync("ops", ct);
        dispatch = await new DispatchLatencyBenchmark(api, agents.Select(a => (a.Id, a.Client)).ToList()).RunAsync(warmup: 50, options.DispatchSamples);
        dispatchPerJob = (await postgres.CountersAsync("ops", ct)).PerJobSince(dispatchStart, 50 + options.DispatchSamples);
        floors = await RequestFloors.MeasureAsync(api, agents[0].Id, 200, ct);
    }

    Console.WriteLine($"  POST→Pull p50 {dispatch.PullP50:F2} p95 {dispatch.PullP95:F2} p99 {dispatch.PullP99:F2} ms; POST→Start p50 {dispatch.StartP50:F2} p95 {dispatch.StartP95:F2} p99 {dispatch.StartP99:F2} ms; POST alone p50 {dispatch.PostP50:F2} ms; GET /health/live p50 {floors.HealthP50:F2} ms, GET /api/v1/agents/{{id}} p50 {floors.GetAgentP50:F2} ms, rejected POST p50 {floors.RejectedPostP50:F2} ms");

    // The floor under section 1, measured right after it: one round trip with and without a durable commit, after the same idle gap.
    CommitFloor? commitFloor = null;
    try
    {
        commitFloor = await CommitFloor.MeasureAsync(postgres, home, 5, ct);
        Console.WriteLine(FormattableString.Invariant(
            $"  floor, 1 client: durable INSERT {commitFloor.InsertBackToBackMs:F3} ms back to back, {commitFloor.InsertAfterIdleMs:F3} ms after {CommitFloor.IdleMs} ms idle; SELECT 1 after idle {commitFloor.SelectAfterIdleMs:F3} ms"));
    }
    catch (InvalidOperationException e)
    {
        failures.Add($"commit floor: {e.Message}");
    }

    // 2. End-to-end throughput with 1, 10, 100 simulated agents (one HTTP/2 connection each).
    Console.WriteLine("[2/5] end-to-end throughput");
    var throughput = new List<ThroughputBenchmark.Result>();
    using (var pool = new ChannelPool(grpcAddress, 1))
    {
        var most = options.ThroughputAgents.Max();
        var enrollment = await AgentEnroller.CreateTokenAsync(api, most, ct);
        var agents = await AgentEnroller.EnrollAsync(enrollment, pool, most, "load", 16, ct);
        var bench = new ThroughputBenchmark(restBase, token, controlPlane.Pid, postgres);
        foreach (var count in options.ThroughputAgents)
        {
            foreach (var clients in options.ThroughputClients)
            {
                var result = await bench.RunAsync(agents.Take(count).ToList(), clients, options.ThroughputWarmup, options.ThroughputWindow, ct);
                throughput.Add(result);
                Console.WriteLine(FormattableString.Invariant(
                    $"  {count,3} agents, {clients,3} clients: {result.OpsPerSecond,7:F0} ops/s, p50 {result.P50,6:F1} ms, p99 {result.P99,6:F1} ms, errors {result.Errors}; cores: control plane {result.Cpu.ControlPlane:F2}, postgres {result.Cpu.Postgres:F2}, bench {result.Cpu.Bench:F2}, machine {result.Cpu.MachineBusy:F2}"));
                Console.WriteLine("    postgres backends: " + string.Join("; ", result.Waits.Take(4).Select(w => FormattableString.Invariant($"{w.Backends:F2} {w.State} {w.Statement}"))));
            }
        }
    }

    var rssAfterThroughput = controlPlane.RssBytes();
    if (options.HotPathOnly)
    {
        Console.WriteLine($"(hot mode: sections 1 and 2 only, {clock.Elapsed.TotalSeconds:F0} s; BENCHMARKS.md left as it was)");
        return;
    }

    // 3. The PostgreSQL ceiling: single-row INSERTs on the same cluster.
    Console.WriteLine("[3/5] pgbench on the embedded cluster");
    var pgbench = new List<PgBenchResult>();
    try
    {
        await postgres.PsqlAsync("CREATE TABLE bench_insert (id bigserial PRIMARY KEY, payload text, at timestamptz DEFAULT now())", ct);
        var insert = Path.Combine(home, "bench_insert.sql");
        await File.WriteAllTextAsync(insert, "INSERT INTO bench_insert (payload) VALUES ('agent.ping');\n", ct);
        var notify = Path.Combine(home, "bench_insert_notify.sql");
        await File.WriteAllTextAsync(notify, "WITH i AS (INSERT INTO bench_insert (payload) VALUES ('agent.ping') RETURNING id) SELECT pg_notify('ops_bench', id::text) FROM i;\n", ct);
        foreach (var (name, script, clientCounts) in new[] { ("insert", insert, options.PgBenchClients), ("insert+notify", notify, options.PgBenchNotifyClients) })
        {
            foreach (var clients in clientCounts)
            {
                var result = await postgres.PgBenchAsync(name, script, clients, options.PgBenchSeconds, controlPlane.Pid, ct);
                pgbench.Add(result);
                Console.WriteLine(FormattableString.Invariant(
                    $"  {name,-13} -c {clients,3}: {result.Tps,8:F0} tps, latency {result.LatencyMs:F2} ms; cores: postgres {result.Cpu.Postgres:F2}, pgbench {result.Cpu.Bench:F2}, machine {result.Cpu.MachineBusy:F2}"));
            }
        }
    }
    catch (InvalidOperationException e)
    {
        failures.Add($"pgbench: {e.Message}");
    }
    finally
    {
        await postgres.PsqlAsync("DROP TABLE IF EXISTS bench_insert", ct);
    }

    // 6. Fan-out: one operation to 1,000 simulated agents, each with a Pull waiting.
    Console.WriteLine($"[fan-out] one operation to {options.FanOutAgents:N0} agents, {options.FanOutRuns} timed runs");
    FanOutBenchmark.Result? fanOut = null;
    try
    {
        fanOut = await new FanOutBenchmark(api, grpcAddress, controlPlane.Pid, postgres).RunAsync(options.FanOutAgents, options.FanOutRuns, ct);
        Console.WriteLine("  " + FanOutBenchmark.Describe(fanOut));
    }
    catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or Grpc.Core.RpcException)
    {
        failures.Add($"fan-out: {e.Message}");
    }

    // 7. graphile-worker 0.18.0 on the same cluster (its own database), the control plane idle.
    Console.WriteLine("[graphile-worker] 0.18.0 on the same cluster, database graphile");
    GraphileWorkerBenchmark.Result? graphile = null;
    try
    {
        graphile = await new GraphileWorkerBenchmark(postgres, Path.Combine(root, "tests", "Ops.Benchmarks", "graphile"), controlPlane.Pid).RunAsync(options, ct);
        Console.WriteLine("  " + GraphileWorkerBenchmark.Describe(graphile));
    }
    catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or System.Text.Json.JsonException)
    {
        failures.Add($"graphile-worker: {e.Message}");
    }

    // 5 (run before 4, so the fleet of idle agents does not disturb it). A real agent, idle.
    Console.WriteLine("[4/5] a real agent process, idle (JIT, then AOT)");
    RealAgentBenchmark.Result? realAgent = null;
    try
    {
        realAgent = await new RealAgentBenchmark(api, agentDll, Path.Combine(root, "dist", "ops-agent-linux-x64"), home, controlPlane.GrpcPort).RunAsync(options.RealAgentIdle, ct);
        foreach (var a in new[] { realAgent.Jit, realAgent.Aot }.OfType<RealAgentBenchmark.Row>())
        {
            Console.WriteLine(FormattableString.Invariant(
                $"  {a.Name}: RSS {a.RssBytes / 1048576.0:F1} MiB (peak {a.PeakRssBytes / 1048576.0:F1}), CPU {a.CpuPercent:F2} % over {a.IdleSeconds:F0} s, {a.Threads} threads, start → first Pull {a.StartToFirstPullMs:F0} ms, agent.ping {a.PingMs:F0} ms, exit {a.ExitCode}"));
        }

        if (realAgent.AotMissing is { } missing)
        {
            Console.WriteLine($"  AOT: {missing}");
        }
    }
    catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
    {
        failures.Add($"real agent: {e.Message}");
    }

    // 4. Idle agents: 1,000 and 10,000 Pulls held open.
    Console.WriteLine("[5/5] idle agents holding a Pull");
    IdleAgentsBenchmark.Result? idle = null;
    try
    {
        idle = await new IdleAgentsBenchmark(api, grpcAddress, controlPlane, postgres).RunAsync(options.IdleAgentLevels, ct);
    }
    catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or Grpc.Core.RpcException)
    {
        failures.Add($"idle agents: {e.Message}");
    }

    report = new BenchReport
    {
        Options = options,
        Commit = Git(root, "describe --always --dirty --abbrev=7"),
        PostgresVersion = postgresVersion,
        At = DateTimeOffset.UtcNow,
        Dispatch = dispatch,
        DispatchPerJob = dispatchPerJob,
        Floors = floors,
        Throughput = throughput,
        PgBench = pgbench,
        CommitFloor = commitFloor,
        RealAgent = realAgent,
        Idle = idle,
        FanOut = fanOut,
        GraphileWorker = graphile,
        ControlPlaneRssAfterThroughput = rssAfterThroughput,
        TotalSeconds = clock.Elapsed.TotalSeconds,
        Failures = failures,
    };
}

var markdown = ReportWriter.Write(report);
if (options.Quick)
{
    Console.WriteLine();
    Console.WriteLine(markdown);
    Console.WriteLine("(quick mode: BENCHMARKS.md left as it was)");
}
else
{
    await File.WriteAllTextAsync(Path.Combine(root, "BENCHMARKS.md"), markdown, CancellationToken.None);
    Console.WriteLine($"wrote BENCHMARKS.md ({clock.Elapsed.TotalMinutes:F1} min)");
}

try
{
    Directory.Delete(home, recursive: true);
}
catch (IOException)
{
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Ops.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Ops.sln not found above " + AppContext.BaseDirectory);
}

static string Git(string root, string arguments)
{
    var info = new ProcessStartInfo("git", arguments) { WorkingDirectory = root, RedirectStandardOutput = true, UseShellExecute = false };
    using var process = Process.Start(info)!;
    var text = process.StandardOutput.ReadToEnd().Trim();
    process.WaitForExit();
    return text;
}
