using Ops.ControlPlane.Tests.TestSupport;
using System.Globalization;
using System.Text;

namespace Ops.Benchmarks;

/// <summary>
/// Renders a <see cref="BenchReport"/> as BENCHMARKS.md: machine, date, commit, one table per
/// measure with how it was measured, and the first bottleneck as the numbers of this run show it.
/// </summary>
internal static partial class ReportWriter
{
    private const double MiB = 1024.0 * 1024.0;

    public static string Write(BenchReport r)
    {
        var s = new StringBuilder();
        var o = r.Options;
        Line(s, "# Benchmarks");
        Line(s);
        Line(s, $"Produced by `./ops bench{(o.Quick ? " quick" : string.Empty)}` (tests/Ops.Benchmarks) in one run of {r.TotalSeconds / 60:F1} minutes; rewritten on every run. Numbers, not assertions: the machine is shared and noisy (the *other* CPU column is work on the machine that was none of ours).");
        Line(s);
        Line(s, $"- date: {r.At:yyyy-MM-dd HH:mm} UTC");
        Line(s, r.Commit.EndsWith("-dirty", StringComparison.Ordinal)
            ? $"- commit: {r.Commit} (the working tree had uncommitted changes when the control plane and agent were built)"
            : $"- commit: {r.Commit}");
        Line(s, $"- machine: {Environment.ProcessorCount} cores ({ProcStat.CpuModel()}), {ProcStat.MemoryTotalBytes() / (1024.0 * MiB):F0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Line(s, $"- control plane: the real process (Release, server GC) on its embedded PostgreSQL {r.PostgresVersion} (Unix socket, `fsync` and `synchronous_commit` on; only the Pull lease commits asynchronously), REST over HTTP/1.1 and agent gRPC over h2c on 127.0.0.1");
        Line(s, "- agents: **simulated in the benchmark process** (sections 1, 2, 4, 6): real gRPC clients on the official stack (the generated `AgentService.AgentServiceClient` over a Grpc.Net.Client `GrpcChannel`, as Ops.Agent uses) doing what Ops.Agent does — one Pull outstanding asking for its free slots, then Start → Complete with a small `agent.ping` result — but running nothing. Section 5 is the real `Ops.Agent` process.");
        Line(s, "- everything (control plane, PostgreSQL, load generator, agents) shares the same 2 cores, so CPU is sampled from /proc for each window");
        Line(s);

        WriteSummary(s, r);
        WriteDispatch(s, r);
        WriteThroughput(s, r);
        WritePgBench(s, r);
        WriteIdle(s, r);
        WriteRealAgent(s, r);
        WriteFanOut(s, r);
        WriteGraphileWorker(s, r);
        WriteBottleneck(s, r);

        if (r.Failures.Count > 0)
        {
            Line(s, "## Not measured in this run");
            Line(s);
            foreach (var failure in r.Failures)
            {
                Line(s, $"- {failure}");
            }

            Line(s);
        }

        return s.ToString();
    }

    private static void WriteDispatch(StringBuilder s, BenchReport r)
    {
        var d = r.Dispatch;
        Line(s, "## 1. Dispatch latency (agents waiting, one operation at a time)");
        Line(s);
        Line(s, "| measure | p50 ms | p95 ms | p99 ms |");
        Line(s, "| --- | ---: | ---: | ---: |");
        Line(s, $"| POST /api/v1/operations → agent's Pull response | {d.PullP50:F2} | {d.PullP95:F2} | {d.PullP99:F2} |");
        Line(s, $"| **POST /api/v1/operations → agent's Start response** | **{d.StartP50:F2}** | **{d.StartP95:F2}** | **{d.StartP99:F2}** |");
        Line(s, $"| the POST alone (202 received) | {d.PostP50:F2} | | |");
        Line(s, $"| POST /api/v1/operations rejected by validation (400: JWT + binding + validator, no database) | {r.Floors.RejectedPostP50:F2} | | |");
        Line(s, $"| GET /api/v1/agents/{{id}} (JWT + one query) | {r.Floors.GetAgentP50:F2} | | |");
        Line(s, $"| GET /health/live (no auth, no database: the HTTP floor) | {r.Floors.HealthP50:F2} | | |");
        if (r.CommitFloor is { } f)
        {
            Line(s, $"| the database's floor: one durable single-row INSERT by itself after {CommitFloor.IdleMs} ms idle (pgbench, 1 client) | {f.InsertAfterIdleMs:F2} | | |");
            Line(s, $"| the same INSERT back to back | {f.InsertBackToBackMs:F2} | | |");
            Line(s, $"| `SELECT 1` after {CommitFloor.IdleMs} ms idle (a round trip with no commit to flush) | {f.SelectAfterIdleMs:F2} | | |");
        }

        Line(s);
        if (r.CommitFloor is { } floor)
        {
            Line(s, FormattableString.Invariant($"A job handed to a waiting Pull leaves before the submit's WAL flush, so POST → Pull waits on no fsync; Start's durable commit, which flushes the submit's too, is the one on the way to POST → Start: {floor.InsertAfterIdleMs:F2} ms of its p50 is this machine's floor before any statement of Ops runs (docs/performance.md, the hand-off)."));
            Line(s);
        }
        Line(s, $"How: {d.Samples} `agent.ping` operations after 50 warm-up, one at a time, round-robin over 4 simulated agents on one HTTP/2 connection. Before each POST the target agent has had a Pull (`max_jobs` 1, `wait_ms` 30,000) waiting for 15 ms; the clock starts when the POST is sent and stops when the Pull response with the job arrives, then when Start's response (`proceed`) arrives. As Ops.Agent does, Start is sent the moment the Pull's response arrives, which can be before the 202 arrives; each time is taken on the thread that completes its call. The job is then completed, untimed. The floor rows: right after the dispatches, `pgbench -n -c 1 -r -T 5` on a scratch table `bench_floor` of the same cluster, the statement's own latency from `-r`, with `\\sleep 15 ms` before it for the idle rows (the gap before each POST above).");
        Line(s);
    }

    private static void WriteThroughput(StringBuilder s, BenchReport r)
    {
        var o = r.Options;
        Line(s, "## 2. End-to-end throughput of `agent.ping` (POST → result stored)");
        Line(s);
        Line(s, "| agents | clients | ops/s | p50 ms | p99 ms | errors | CPU cores: control plane | PostgreSQL (client backends) | bench | other | machine busy | PostgreSQL per op: write transactions | transactions | WAL bytes |");
        Line(s, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var t in r.Throughput)
        {
            var best = r.Throughput.Where(x => x.Agents == t.Agents).MaxBy(x => x.OpsPerSecond) == t;
            var ops = best ? $"**{t.OpsPerSecond:F0}**" : $"{t.OpsPerSecond:F0}";
            Line(s, $"| {t.Agents} | {t.Clients} | {ops} | {t.P50:F1} | {t.P99:F1} | {t.Errors} | {t.Cpu.ControlPlane:F2} | {t.Cpu.Postgres:F2} ({t.Cpu.PostgresClients:F2}) | {t.Cpu.Bench:F2} | {t.Cpu.Other:F2} | {t.Cpu.MachineBusy:F2} | {t.PerJob.WriteTransactions:F2} | {t.PerJob.Transactions:F2} | {t.PerJob.WalBytes:N0} |");
        }

        Line(s);
        Line(s, $"Best per agent count in bold. How: the agents are simulated (above), each on its own HTTP/2 connection as a real fleet would be, each with 8 slots (`max_jobs` ≤ 8 per Pull, `wait_ms` 30,000). The clients are N concurrent closed-loop HTTP/1.1 submitters: each POSTs `agent.ping` to the next agent round-robin, waits until that operation's job is completed — the simulated agent's `Complete` returned `accepted=true`, i.e. the result is stored and the job is `succeeded` — then submits the next, so N operations are in flight. Each configuration runs {o.ThroughputWarmup.TotalSeconds:F0} s of warm-up, then a {o.ThroughputWindow.TotalSeconds:F0} s window; ops/s = completions accepted inside the window ÷ its length, latency = POST sent → Complete accepted for those operations. CPU = /proc utime+stime deltas over the window (control-plane process; postmaster and all its children, of which client backends in parentheses; this process = load generator + simulated agents + psql sampler; machine from /proc/stat without steal). Errors = non-2xx POSTs, failed RPCs or completions not seen within 30 s. PostgreSQL per op, over the same window ÷ the operations completed in it: write transactions = transaction ids assigned (`pg_snapshot_xmax(pg_current_snapshot())`, exact, cluster-wide: every transaction that wrote took one, the samplers' and background loops' few included), transactions = `xact_commit + xact_rollback` of database ops in `pg_stat_database` (read-only ones too; backends flush these at most once a second, so ±1 s of the window), WAL bytes = `pg_current_wal_lsn()` difference.");
        Line(s);
    }

    private static void WritePgBench(StringBuilder s, BenchReport r)
    {
        if (r.PgBench.Count == 0)
        {
            return;
        }

        var o = r.Options;
        Line(s, "## 3. The PostgreSQL ceiling on the same cluster");
        Line(s);
        Line(s, "| transaction | clients | tps | latency avg ms | PostgreSQL cores | pgbench cores | machine busy | top backend states (avg backends) |");
        Line(s, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var p in r.PgBench)
        {
            Line(s, $"| {p.Script} | {p.Clients} | {p.Tps:F0} | {p.LatencyMs:F2} | {p.Cpu.Postgres:F2} | {p.Cpu.Bench:F2} | {p.Cpu.MachineBusy:F2} | {Waits(p.Waits, 3)} |");
        }

        var bestInsert = r.PgBench.Where(p => p.Script == "insert").MaxBy(p => p.Tps);
        var bestOps = r.Throughput.MaxBy(t => t.OpsPerSecond);
        Line(s);
        if (bestInsert is not null && bestOps is not null)
        {
            Line(s, $"**Ratio, same run: best end-to-end {bestOps.OpsPerSecond:F0} ops/s ({bestOps.Agents} agents, {bestOps.Clients} clients) ÷ best single-row INSERT {bestInsert.Tps:F0} tps ({bestInsert.Clients} clients) = {bestOps.OpsPerSecond / bestInsert.Tps:P1}** (one `agent.ping` costs about as much of this machine as {bestInsert.Tps / bestOps.OpsPerSecond:F0} committed inserts).");
            Line(s);
        }

        Line(s, $"How: pgbench from the machine's PostgreSQL binaries against the control plane's own embedded cluster (Unix socket in `<OPS_HOME>/pg`, user postgres, database ops) while the control plane runs idle, `pgbench -n -c <clients> -j 2 -T {o.PgBenchSeconds} -f <script>`, tps without connection time. Scratch table `bench_insert (id bigserial primary key, payload text, at timestamptz default now())`, created before and dropped after. `insert` = `INSERT INTO bench_insert (payload) VALUES ('agent.ping')`, one autocommit transaction; `insert+notify` = the same INSERT with `pg_notify('ops_bench', id)` in the same statement: what a NOTIFY costs a committing transaction (PostgreSQL queues notifying commits on one lock), for any queue that notifies on insert (graphile-worker's `add_job` does; section 7 shows whether Ops's path waits on it). Backend states from `pg_stat_activity` every 200 ms (`CPU` = active with no wait event).");
        Line(s);
    }

    private static void WriteIdle(StringBuilder s, BenchReport r)
    {
        if (r.Idle is not { } idle)
        {
            return;
        }

        Line(s, "## 4. Idle agents one control plane holds");
        Line(s);
        Line(s, "| agents each holding a Pull | HTTP/2 connections open | control-plane RSS MiB | RSS over baseline ÷ agents (bytes) | threads | control-plane CPU while they wait (cores) | POST → Start of one of them, ms (5 samples) | Pull errors |");
        Line(s, "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
        foreach (var l in idle.Levels)
        {
            Line(s, $"| {l.Agents:N0} | {l.Connections} | {l.RssBytes / MiB:F0} | {l.BytesPerAgent:N0} | {l.Threads} | {l.IdleCpuCores:F3} | {string.Join(", ", l.PostToStartMs.Select(x => x.ToString("F1", CultureInfo.InvariantCulture)))} | {l.PullErrors} |");
        }

        Line(s);
        if (idle.Levels.Count > 1)
        {
            var (a, b) = (idle.Levels[^2], idle.Levels[^1]);
            Line(s, $"Marginal cost from {a.Agents:N0} to {b.Agents:N0}: {(b.RssBytes - a.RssBytes) / (double)(b.Agents - a.Agents):N0} bytes of control-plane RSS per added agent.");
            Line(s);
        }

        Line(s, $"How: {idle.Enrolled:N0} simulated agents enrolled first with one enrollment token (`maxUses` {idle.Enrolled:N0}), 32 Enroll calls at a time ({idle.EnrollSeconds:F1} s, {idle.Enrolled / idle.EnrollSeconds:F0} enrollments/s); baseline control-plane RSS {idle.BaselineRssBytes / MiB:F0} MiB taken 3 s later with no Pull open (after sections 1–3 and 5, so the heap is warm). Then each level adds agents, 500 per second, each keeping one Pull open (`max_jobs` 1, `wait_ms` 30,000, re-issued when it returns), 500 agents per HTTP/2 connection (the control plane allows 10,000 streams per connection, `Http2.MaxStreamsPerConnection`, and the channel opens more connections when one is full, `EnableMultipleHttp2Connections`). A level is reached when every agent's Pull has authenticated (its `last_seen_at` moved, counted in the database; took {string.Join(" / ", idle.Levels.Select(l => l.ReadySeconds.ToString("F0", CultureInfo.InvariantCulture) + " s"))}); 5 s later CPU is sampled for 5 s and RSS (VmRSS) is read; then 5 `agent.ping`s are posted one at a time to agents of the level while all the others keep waiting, timed POST sent → that agent's Start response. RSS of a .NET server-GC process moves in heap-segment steps, so small levels can read near zero: the larger level is the meaningful one.");
        Line(s);
    }

    private static void WriteRealAgent(StringBuilder s, BenchReport r)
    {
        if (r.RealAgent is { } a)
        {
            s.Append(RealAgentSection(a));
        }
    }

    /// <summary>Section 5: the real agent, JIT and Native AOT side by side (also printed alone by <c>./ops bench agent</c>).</summary>
    public static string RealAgentSection(RealAgentBenchmark.Result a)
    {
        var s = new StringBuilder();
        Line(s, "## 5. A real agent process, idle: JIT and Native AOT");
        Line(s);
        Line(s, "| agent | command | idle RSS MiB | of which private MiB | peak RSS MiB | threads | CPU % of one core | start → first Pull ms | agent.ping POST → `succeeded` ms | SIGTERM → exit |");
        Line(s, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var row in new[] { a.Jit, a.Aot })
        {
            if (row is null)
            {
                continue;
            }

            var command = row.BinaryBytes is { } bytes ? Invariant($"`{row.Command}` ({bytes / MiB:F1} MiB)") : $"`{row.Command}`";
            Line(s, $"| {row.Name} | {command} | {row.RssBytes / MiB:F1} | {row.PrivateBytes / MiB:F1} | {row.PeakRssBytes / MiB:F1} | {row.Threads} | {row.CpuPercent:F2} | {row.StartToFirstPullMs:F0} | {row.PingMs:F0} | {row.StopSeconds * 1000:F0} ms, exit code {row.ExitCode} |");
        }

        if (a.Aot is null)
        {
            Line(s, $"| AOT | `dist/ops-agent-linux-x64` | {a.AotMissing} | – | – | – | – | – | – | – |");
        }

        Line(s);
        var idle = a.Jit.IdleSeconds;
        Line(s, $"How: each agent in turn (JIT: `dotnet src/Agent/bin/Release/net10.0/Ops.Agent.dll`; AOT: the Native AOT single-file binary from `./ops publish-agent`, which `./ops bench` builds first when clang is installed) with `--config <OPS_HOME>/agent-<jit|aot>/agent.json` (policy: `agent.ping`, `host.disk`; its own state directory; log level Warning except the Pull loop at Information), first start with `OPS_AGENT_Agent__EnrollmentToken`. *Start → first Pull* runs from just before the bench starts the process to the moment the bench reads the agent's Information line `First Pull since start sent to …` on its stdout, which the agent writes as it sends its first Pull: it covers runtime start, configuration, the Enroll RPC with the control plane (writing `identity.json`) and the console logger's queue. Then one `agent.ping` is posted and `GET /api/v1/operations/{{id}}` polled every 50 ms until `succeeded` (so the time includes up to 50 ms of polling and, for JIT, the first-call JIT). After 3 s more the agent idles for {idle:F0} s — its Pull open (`PullWaitMs` 25,000) and heartbeats with host stats every 10 s — and CPU % = (utime+stime delta from /proc/<pid>/stat) ÷ wall time; RSS = VmRSS at the end, *private* = its RssAnon part (heap, stacks, the AOT binary's rehydrated data; the rest is file pages of the binary or the framework's assemblies, shared and reclaimable), peak = VmHWM. Then SIGTERM (the agent drains running jobs for up to 10 s; none here).");
        Line(s);
        Line(s, "The AOT binary: `PublishAot` (trim and AOT analyzers as errors, System.Text.Json source generation, the configuration binding generator, executors registered by name), `OptimizationPreference` Size, identical method bodies folded, workstation non-concurrent GC, and one aggressive compacting GC once the first Pull is out. Where its memory goes and what each setting did: docs/deployment.md, \"Memory of the native agent\".");
        Line(s);
        return s.ToString();
    }

    private static void WriteBottleneck(StringBuilder s, BenchReport r)
    {
        Line(s, "## First bottleneck");
        Line(s);
        Line(s, "Every figure below is computed from this run's samples (CPU from /proc, `pg_stat_activity` states, the PostgreSQL counters of section 2's note); nothing in it is carried over from an earlier run.");
        Line(s);
        var best = r.Throughput.MaxBy(t => t.OpsPerSecond);
        if (best is null)
        {
            Line(s, "No throughput numbers in this run.");
            Line(s);
            return;
        }

        var c = best.Cpu;
        var ops = best.OpsPerSecond;
        var pgMs = c.Postgres * 1000 / ops;
        var cpMs = c.ControlPlane * 1000 / ops;
        var benchMs = c.Bench * 1000 / ops;
        var cores = Environment.ProcessorCount;
        var saturated = c.MachineBusy >= 0.85 * cores;
        var insert = r.PgBench.Where(p => p.Script == "insert").MaxBy(p => p.Tps);
        var insertMs = insert is null ? double.NaN : insert.Cpu.Postgres * 1000 / insert.Tps;
        var singleInsert = r.PgBench.FirstOrDefault(p => p.Script == "insert" && p.Clients == 1);
        var pgFirst = c.Postgres >= c.ControlPlane;

        var text = new StringBuilder();
        text.Append(Invariant($"**Throughput.** At the best configuration ({best.Agents} agents, {best.Clients} clients, {ops:F0} ops/s) the machine was busy {c.MachineBusy:F2} of its {cores} cores"));
        text.Append(saturated ? " — it is CPU-bound" : " — it is not CPU-bound");
        text.Append(Invariant($": PostgreSQL used {c.Postgres:F2} cores ({c.PostgresClients:F2} in client backends), the control plane {c.ControlPlane:F2}, the load generator with the simulated agents {c.Bench:F2}, other work {c.Other:F2}. Per operation that is **{pgMs:F2} ms of PostgreSQL CPU**, {cpMs:F2} ms of control-plane CPU and {benchMs:F2} ms in the bench"));
        if (insert is not null)
        {
            text.Append(Invariant($", while a committed single-row INSERT costs PostgreSQL {insertMs:F3} ms under pgbench ({insert.Tps:F0} tps on {insert.Cpu.Postgres:F2} cores): one `agent.ping` costs PostgreSQL as much CPU as ~{pgMs / insertMs:F0} such inserts"));
        }

        text.Append(". ");
        text.Append(pgFirst
            ? "So the first bottleneck is **PostgreSQL CPU per job**"
            : "So the first bottleneck is **control-plane CPU per job**, ahead of PostgreSQL");
        text.Append(singleInsert is not null ? Invariant($" (a single-client durable insert commits in {singleInsert.LatencyMs:F2} ms). ") : ". ");
        text.Append(Invariant($"PostgreSQL's work per operation in that window: **{best.PerJob.WriteTransactions:F2} write transactions** (transaction ids assigned), {best.PerJob.Transactions:F2} transactions in all (`pg_stat_database`), {best.PerJob.WalBytes:N0} bytes of WAL — a pgbench insert is one transaction. "));
        var waits = best.Waits.Where(w => w.State != "Client:ClientRead").ToList();
        var active = waits.Sum(w => w.Backends);
        text.Append(Invariant($"`pg_stat_activity` in that window: {active:F1} backends active on average — {Waits(waits, 4)}."));
        text.Append(RowLocks(best.Waits));
        text.Append(' ');
        var notifyLock = best.Waits.Where(w => w.State == "Lock:object").Sum(w => w.Backends);
        var walWait = best.Waits.Where(w => w.State is "LWLock:WALWrite" or "IO:WALSync" or "IO:WALWrite").Sum(w => w.Backends);
        var withNotify = r.PgBench.Where(p => p.Script == "insert+notify").MaxBy(p => p.Clients);
        var plain = withNotify is null ? null : r.PgBench.FirstOrDefault(p => p.Script == "insert" && p.Clients == withNotify.Clients);
        if (notifyLock >= 0.05)
        {
            text.Append(Invariant($"{notifyLock:F2} backends on average waited on `Lock:object` (on COMMIT that is PostgreSQL's single NOTIFY-queue lock, taken by every committing transaction that called `pg_notify` and held through its WAL flush, so those commits go one at a time)"));
            text.Append(withNotify is not null && plain is not null
                ? Invariant($"; pgbench on the same cluster does {withNotify.Tps:F0} tps with a `pg_notify` in the insert against {plain.Tps:F0} without, at {withNotify.Clients} clients. ")
                : ". ");
        }
        else
        {
            text.Append(Invariant($"No backend waited measurably on `Lock:object` ({notifyLock:F2}: the NOTIFY-queue lock is not on this path)"));
            text.Append(withNotify is not null && plain is not null
                ? Invariant($"; for reference pgbench does {withNotify.Tps:F0} tps with a `pg_notify` in each insert against {plain.Tps:F0} without, at {withNotify.Clients} clients. ")
                : ". ");
        }

        text.Append(Invariant($"Waiting on WAL (`LWLock:WALWrite`, `IO:WALSync`, `IO:WALWrite`): {walWait:F2} backends on average. "));
        var most = r.Throughput.Max(t => t.Agents);
        var perAgent = r.Throughput.Where(t => t.Agents == most).Max(t => t.Clients) / (double)most;
        text.Append(Invariant($"Batching: with 1 agent a Pull can carry up to 8 jobs, while with {most} agents and at most {perAgent * most:F0} clients an agent has at most {perAgent:F2} jobs in flight on average, so per-Pull work is paid for nearly every job ({Best(r, 1)} / {Best(r, 10)} / {Best(r, 100)} ops/s best with 1 / 10 / 100 agents; write transactions per operation {PerJob(r, 1)} / {PerJob(r, 10)} / {PerJob(r, 100)})."));
        Line(s, text.ToString());
        Line(s);

        var d = r.Dispatch;
        Line(s, Invariant($"**Dispatch latency.** Of the {d.StartP50:F2} ms p50 from POST to Start, the POST itself takes {d.PostP50:F2} ms: the HTTP floor is {r.Floors.HealthP50:F2} ms, a POST rejected by validation (JWT, binding, validator) {r.Floors.RejectedPostP50:F2} ms and an authenticated one-query GET {r.Floors.GetAgentP50:F2} ms, so about {d.PostP50 - r.Floors.RejectedPostP50:F2} ms is the submit's database work, while a bare durable insert commits in {singleInsert?.LatencyMs ?? double.NaN:F2} ms; the waiting Pull is answered {d.PullP50 - d.PostP50:F2} ms after the 202, and Start adds {d.StartP50 - d.PullP50:F2} ms. Over section 1 each dispatched operation (POST, Pull, Start, Complete) cost PostgreSQL {r.DispatchPerJob.WriteTransactions:F2} write transactions and {r.DispatchPerJob.Transactions:F2} transactions in all ({r.DispatchPerJob.WalBytes:N0} WAL bytes)."));
        Line(s);

        WriteComparisonBottlenecks(s, r);

        var next = new List<string>();
        var (big, bigMs) = pgFirst ? ("PostgreSQL", pgMs) : ("the control plane", cpMs);
        next.Add(Invariant($"CPU per job in {big} ({bigMs:F2} ms per closed-loop operation; {best.PerJob.WriteTransactions:F2} write transactions each)"));
        if (notifyLock >= 0.05)
        {
            next.Add(Invariant($"the NOTIFY-queue lock on commit ({notifyLock:F2} backends waiting)"));
        }

        if (walWait >= 0.5)
        {
            next.Add(Invariant($"WAL flushes ({walWait:F2} backends waiting on WAL: commits per flush, i.e. fewer and larger transactions)"));
        }

        var fanOutRowLocks = r.FanOut?.Waits.Where(w => w.State is "Lock:transactionid" or "Lock:tuple").Sum(w => w.Backends) ?? 0;
        if (fanOutRowLocks >= 0.5)
        {
            next.Add(Invariant($"row-lock waits when one operation's jobs change state together ({fanOutRowLocks:F1} backends waiting during the fan-out, whose {r.FanOut!.Agents:N0} jobs took a median {r.FanOut.MedianMs:F0} ms)"));
        }

        if (c.Bench >= 0.25)
        {
            next.Add(Invariant($"the load generator itself ({c.Bench:F2} of the {cores} cores in the best window: to measure beyond it, move it off this machine)"));
        }

        Line(s, "**Where the next gain is**, ranked by this run's numbers: " + string.Join("; then ", next.Select((x, i) => Invariant($"({i + 1}) {x}"))) + ".");
        Line(s);
    }

    private static string PerJob(BenchReport r, int agents) =>
        r.Throughput.Where(t => t.Agents == agents).MaxBy(t => t.OpsPerSecond)?.PerJob.WriteTransactions.ToString("F2", CultureInfo.InvariantCulture) ?? "—";

    private static string Best(BenchReport r, int agents) =>
        r.Throughput.Where(t => t.Agents == agents).Select(t => t.OpsPerSecond).DefaultIfEmpty(double.NaN).Max().ToString("F0", CultureInfo.InvariantCulture);

    private static string Waits(IEnumerable<PgWait> waits, int count) =>
        string.Join("; ", waits.Take(count).Select(w => Invariant($"{w.Backends:F2} {w.State} `{w.Statement.Trim()}…`")));

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private static void Line(StringBuilder s, FormattableString text) => s.AppendLine(FormattableString.Invariant(text));

    private static void Line(StringBuilder s, string text) => s.AppendLine(text);

    private static void Line(StringBuilder s) => s.AppendLine();
}
