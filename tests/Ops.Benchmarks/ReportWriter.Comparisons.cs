using System.Globalization;
using System.Text;

namespace Ops.Benchmarks;

/// <summary>
/// The summary lines and sections 6 (fan-out) and 7 (graphile-worker side by side) of BENCHMARKS.md,
/// and their paragraphs of the first-bottleneck text; every sentence is computed from this run's samples.
/// </summary>
internal static partial class ReportWriter
{
    /// <summary>The section-2 row Ops's graphile-worker comparison is matched to (10 agents × 8 slots = 80 job slots).</summary>
    private const int MatchedAgents = 10;

    private static void WriteSummary(StringBuilder s, BenchReport r)
    {
        Line(s, "## This run in four lines");
        Line(s);
        var bestOps = r.Throughput.MaxBy(t => t.OpsPerSecond);
        var bestInsert = r.PgBench.Where(p => p.Script == "insert").MaxBy(p => p.Tps);
        Line(s, bestOps is not null && bestInsert is not null
            ? Invariant($"- **Ops ÷ PostgreSQL ceiling: best closed-loop {bestOps.OpsPerSecond:F0} `agent.ping`/s ({bestOps.Agents} agents, {bestOps.Clients} clients) ÷ best pgbench single-row INSERT {bestInsert.Tps:F0} tps ({bestInsert.Clients} clients), same run, same cluster = {bestOps.OpsPerSecond / bestInsert.Tps:P1}**")
            : "- Ops ÷ PostgreSQL ceiling: not measured in this run (section 2 or 3 missing)");
        Line(s, Invariant($"- dispatch: POST → Pull response p50 {r.Dispatch.PullP50:F2} ms / p99 {r.Dispatch.PullP99:F2} ms; POST → Start p50 {r.Dispatch.StartP50:F2} ms"));
        Line(s, r.FanOut is { } f
            ? Invariant($"- fan-out: one operation to {f.Agents:N0} agents, POST → all {f.Agents:N0} results stored: median {f.MedianMs:F0} ms of {f.Runs.Count} (min {f.MinMs:F0}, max {f.MaxMs:F0}), errors {f.Errors}")
            : "- fan-out: not measured in this run");
        if (r.GraphileWorker is { } g)
        {
            var bestG = g.Throughput.MaxBy(t => t.JobsPerSecond);
            Line(s, Invariant($"- graphile-worker {g.Version}, same cluster: add → start p50 {g.Latency.P50:F2} ms against Ops's POST → Start {r.Dispatch.StartP50:F2} ms (Ops ÷ graphile-worker {r.Dispatch.StartP50 / g.Latency.P50:F2}, {Faster(r.Dispatch.StartP50, g.Latency.P50, lowerIsBetter: true)}); ")
                + (bestOps is not null && bestG is not null
                    ? Invariant($"best closed-loop {bestOps.OpsPerSecond:F0} against {bestG.JobsPerSecond:F0} jobs/s (Ops ÷ graphile-worker {bestOps.OpsPerSecond / bestG.JobsPerSecond:F2}, {Faster(bestOps.OpsPerSecond, bestG.JobsPerSecond, lowerIsBetter: false)})")
                    : "no closed-loop figure"));
        }
        else
        {
            Line(s, "- graphile-worker: not measured in this run");
        }

        Line(s);
    }

    private static void WriteFanOut(StringBuilder s, BenchReport r)
    {
        if (r.FanOut is not { } f)
        {
            return;
        }

        Line(s, $"## 6. Fan-out: one operation to {f.Agents:N0} agents");
        Line(s);
        Line(s, "| agents targeted (by label) | POST alone ms | POST → all Pull responses ms | **POST → all results stored ms (median)** | min ms | max ms | median ÷ agents, µs | errors |");
        Line(s, "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        Line(s, $"| {f.Agents:N0} | {f.PostMedianMs:F1} | {f.AllPulledMedianMs:F0} | **{f.MedianMs:F0}** | {f.MinMs:F0} | {f.MaxMs:F0} | {f.MedianMs * 1000 / f.Agents:F0} | {f.Errors} |");
        Line(s);
        Line(s, $"Runs (POST → all stored, ms): {string.Join(", ", f.Runs.Select(x => x.AllCompletedMs.ToString("F0", CultureInfo.InvariantCulture)))}; read back: {string.Join(", ", f.Runs.Select(x => $"{x.Status} ({x.JobCount} jobs)").Distinct())}. During the runs: control plane {f.Cpu.ControlPlane:F2} cores, PostgreSQL {f.Cpu.Postgres:F2} ({f.Cpu.PostgresClients:F2} client backends), bench with the agents {f.Cpu.Bench:F2}, machine {f.Cpu.MachineBusy:F2}; PostgreSQL per job {f.PerJob.WriteTransactions:F2} write transactions, {f.PerJob.Transactions:F2} transactions in all, {f.PerJob.WalBytes:N0} WAL bytes.");
        Line(s);
        Line(s, $"How: {f.Agents:N0} simulated agents (as in sections 1–2, one slot each) enrolled with their own enrollment token carrying label `fanout=true` ({f.EnrollSeconds:F1} s), {f.Agents / Math.Max(1, f.Connections)} agents per HTTP/2 connection ({f.Connections} connections), each keeping one Pull open (`max_jobs` 1, `wait_ms` 30,000, re-issued as soon as its job is done). One `POST /api/v1/operations` `{{\"kind\":\"agent.ping\",\"target\":{{\"labels\":{{\"fanout\":\"true\"}}}}}}` creates one job per agent; the clock starts when the POST is sent and stops when the last of the {f.Agents:N0} `Complete` calls returns `accepted=true` (every result stored, every job `succeeded`), counted on the agents' side; then `GET /api/v1/operations/{{id}}` must read back `succeeded` with {f.Agents:N0} jobs (otherwise it counts as an error). One untimed warm-up operation first (it also proves every agent's Pull reached the server), then {f.Runs.Count} timed ones 500 ms apart; median, min and max of those. CPU is sampled from the POST to the last Complete of each timed run; backend states every 20 ms (at most 100 samples) over the first 80 % of each run, as long as the warm-up took; counters (see section 2's note) from before the first timed run to after the last.");
        Line(s);
    }

    private static void WriteGraphileWorker(StringBuilder s, BenchReport r)
    {
        if (r.GraphileWorker is not { } g)
        {
            return;
        }

        var d = r.Dispatch;
        Line(s, $"## 7. graphile-worker {g.Version} side by side, same cluster, same run");
        Line(s);
        Line(s, "| measure | Ops | graphile-worker | Ops ÷ graphile-worker | faster |");
        Line(s, "| --- | ---: | ---: | ---: | --- |");
        Row(s, "add → start p50 ms (Ops: POST → agent's Start response, section 1)", d.StartP50, g.Latency.P50, true, "F2");
        Row(s, "add → start p95 ms", d.StartP95, g.Latency.P95, true, "F2");
        Row(s, "add → start p99 ms", d.StartP99, g.Latency.P99, true, "F2");
        Row(s, "the add alone p50 ms (Ops: POST → 202; graphile-worker: `addJob` resolved)", d.PostP50, g.Latency.AddP50, true, "F2");
        foreach (var t in g.Throughput)
        {
            var ops = r.Throughput.FirstOrDefault(x => x.Agents == MatchedAgents && x.Clients == t.Adders);
            Row(s, Invariant($"closed loop, {t.Adders} in flight: jobs/s (Ops: {MatchedAgents} agents × 8 slots; graphile-worker: concurrency {t.Concurrency})"), ops?.OpsPerSecond ?? double.NaN, t.JobsPerSecond, false, "F0");
            Row(s, Invariant($"closed loop, {t.Adders} in flight: p50 / p99 ms add → done (ratio of p50)"), ops?.P50 ?? double.NaN, t.P50, true, "F1", ops?.P99, t.P99);
        }

        var bestOps = r.Throughput.MaxBy(t => t.OpsPerSecond);
        var bestG = g.Throughput.MaxBy(t => t.JobsPerSecond);
        if (bestOps is not null && bestG is not null)
        {
            Row(s, Invariant($"**best closed loop jobs/s** (Ops {bestOps.Agents} agents × {bestOps.Clients} clients; graphile-worker {bestG.Adders} adders)"), bestOps.OpsPerSecond, bestG.JobsPerSecond, false, "F0", bold: true);
        }

        if (r.FanOut is { } f)
        {
            Row(s, Invariant($"one call adding {g.Bulk.Jobs:N0} jobs → all done, median ms (Ops: section 6 fan-out; graphile-worker: one `addJobs`)"), f.Agents == g.Bulk.Jobs ? f.MedianMs : double.NaN, g.Bulk.MedianMs, true, "F0");
        }

        Line(s, Invariant($"| graphile-worker's batched mode: {g.Drain.Jobs:N0} queued jobs drained (localQueue {g.Drain.LocalQueue}, `completeJobBatchDelay` 0, concurrency {g.Drain.Concurrency}), jobs/s | — | {g.Drain.JobsPerSecond:F0} | — | |"));
        Line(s);
        var opsErrors = r.Throughput.Where(x => x.Agents == MatchedAgents).Sum(x => x.Errors);
        Line(s, Invariant($"Errors in the matched closed loops: Ops {opsErrors}, graphile-worker {g.Throughput.Sum(t => t.Errors)} (failed adds or tasks not run within 30 s); graphile-worker's drain ran {g.Drain.Executed:N0} of {g.Drain.Jobs:N0} jobs."));
        Line(s);

        Line(s, "PostgreSQL per job, in the best closed-loop window of each (counters as in section 2's note):");
        Line(s);
        Line(s, "| | jobs/s | PostgreSQL cores | PostgreSQL CPU ms per job | write transactions per job | transactions per job | WAL bytes per job | queue process cores (Ops: control plane; graphile-worker: Node) | machine busy |");
        Line(s, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        if (bestOps is not null)
        {
            Line(s, $"| Ops | {bestOps.OpsPerSecond:F0} | {bestOps.Cpu.Postgres:F2} | {bestOps.Cpu.Postgres * 1000 / bestOps.OpsPerSecond:F2} | {bestOps.PerJob.WriteTransactions:F2} | {bestOps.PerJob.Transactions:F2} | {bestOps.PerJob.WalBytes:N0} | {bestOps.Cpu.ControlPlane:F2} | {bestOps.Cpu.MachineBusy:F2} |");
        }

        if (bestG?.Window is { } gw)
        {
            var per = gw.PerJob(bestG.Completed);
            Line(s, $"| graphile-worker | {bestG.JobsPerSecond:F0} | {gw.Cpu.Postgres:F2} | {gw.Cpu.Postgres * 1000 / bestG.JobsPerSecond:F2} | {per.WriteTransactions:F2} | {per.Transactions:F2} | {per.WalBytes:N0} | {gw.NodeCores:F2} | {gw.Cpu.MachineBusy:F2} |");
        }

        if (g.Drain.Window is { } dw && g.Drain.Executed > 0)
        {
            var per = dw.PerJob(g.Drain.Executed);
            Line(s, $"| graphile-worker batched drain | {g.Drain.JobsPerSecond:F0} | {dw.Cpu.Postgres:F2} | {dw.Cpu.Postgres * dw.Cpu.Seconds * 1000 / g.Drain.Executed:F3} | {per.WriteTransactions:F3} | {per.Transactions:F3} | {per.WalBytes:N0} | {dw.NodeCores:F2} | {dw.Cpu.MachineBusy:F2} |");
        }

        Line(s);
        var nodeMajor = int.TryParse(g.NodeVersion.TrimStart('v').Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : 0;
        var engineNote = nodeMajor is > 0 and < 22 ? " (graphile-worker 0.18.0 declares Node ≥ 22.18; npm installs it here with an engine warning and it runs)" : string.Empty;
        Line(s, $"How: graphile-worker {g.Version} from npm (tests/Ops.Benchmarks/graphile, installed by `./ops bench` with `npm ci`) on Node {g.NodeVersion}{engineNote}, in its own database `graphile` on the control plane's embedded cluster (same Unix socket, same durable settings), created before and dropped after, while the control plane runs idle; its schema is installed by `runMigrations`. One Node process: the adders on the main thread with their own `pg` pool ({g.AddPoolSize} connections) calling WorkerUtils `addJob`/`addJobs`, and the graphile-worker runner (`run()`, pool of concurrency + 2 connections, default options: no local queue, no batched completion) on a `worker_thread`, as Ops's load generator and control plane are two processes. Its one task, a no-op, reads `process.hrtime` when it starts (one monotonic clock for both threads). **Add → start** (as graphile-worker's own perfTest/latencyTest.js measures it): concurrency 1 with the worker waiting, {g.Latency.Samples} jobs one at a time after 50 warm-up, 15 ms apart (the 15 ms section 1 gives its Pull), clock read before `addJob` and stopped when the task starts; Ops's column is section 1's POST → Start (the agent has been told to run the job). **Closed loop**: N adders each add one job and wait until its task has run before adding the next (the same shape as section 2's submitters), runner concurrency {g.Bulk.Concurrency} = the job slots of section 2's {MatchedAgents}-agent rows ({MatchedAgents} agents × 8), the same warm-up and window as section 2, jobs/s = tasks run inside the window ÷ its length; Ops's column is the section-2 row with {MatchedAgents} agents and N clients. Note the difference in what *done* means: Ops's is the agent's `Complete` committed (result stored), graphile-worker's is its task having run — graphile-worker then deletes the job row without waiting (its `completeJob` is not awaited by the worker), so this favours graphile-worker slightly. **One call of {g.Bulk.Jobs:N0}**: `addJobs` with {g.Bulk.Jobs:N0} jobs to the concurrency-{g.Bulk.Concurrency} runner → all {g.Bulk.Jobs:N0} tasks run, {g.Bulk.Runs} runs 500 ms apart, median (the `addJobs` call alone: median {g.Bulk.AddMedianMs:F0} ms); Ops's is section 6. **Batched drain** (the shape of graphile-worker's perfTest run.js and graphile.config.js, where its published 184k jobs/s comes from): {g.Drain.Jobs:N0} jobs queued first with `addJobs` ({g.Drain.QueuedPerSecond:F0} jobs/s queued), then one runner with `localQueue` size {g.Drain.LocalQueue}, `completeJobBatchDelay` 0 and concurrency {g.Drain.Concurrency} drains them; jobs/s from the first task's start to the last's. CPU from /proc over each window (the Node process; PostgreSQL's whole tree), backend states from `pg_stat_activity` every 200 ms.");
        Line(s);
    }

    /// <summary>The first-bottleneck paragraphs for the fan-out and graphile-worker sections.</summary>
    private static void WriteComparisonBottlenecks(StringBuilder s, BenchReport r)
    {
        var bestOps = r.Throughput.MaxBy(t => t.OpsPerSecond);
        if (r.FanOut is { } f && f.Runs.Count > 0)
        {
            var jobsPerSecond = f.Agents / (f.MedianMs / 1000);
            var c = f.Cpu;
            var text = new StringBuilder();
            text.Append(Invariant($"**Fan-out.** {f.Agents:N0} jobs stored in a median {f.MedianMs:F0} ms is {jobsPerSecond:F0} jobs/s"));
            if (bestOps is not null)
            {
                text.Append(Invariant($" ({jobsPerSecond / bestOps.OpsPerSecond:F1}× the best closed loop)"));
            }

            text.Append(Invariant($"; the POST itself took {f.PostMedianMs:F1} ms and the last Pull response came {f.AllPulledMedianMs - f.PostMedianMs:F0} ms after the 202, so {(f.AllPulledMedianMs - f.PostMedianMs) / Math.Max(1e-9, f.MedianMs) :P0} of the time is handing the jobs out and the rest their Starts and Completes. "));
            text.Append(Invariant($"The machine was busy {c.MachineBusy:F2} of {Environment.ProcessorCount} cores{(c.MachineBusy >= 0.85 * Environment.ProcessorCount ? " (CPU-bound)" : " (not CPU-bound)")}: {Leader(c)}. Per job: {c.Postgres * 1000 / jobsPerSecond:F2} ms of PostgreSQL CPU, {c.ControlPlane * 1000 / jobsPerSecond:F2} ms of control-plane CPU, {c.Bench * 1000 / jobsPerSecond:F2} ms in the bench's simulated agents"));
            if (bestOps is not null)
            {
                text.Append(Invariant($" (closed loop: {bestOps.Cpu.Postgres * 1000 / bestOps.OpsPerSecond:F2} / {bestOps.Cpu.ControlPlane * 1000 / bestOps.OpsPerSecond:F2} / {bestOps.Cpu.Bench * 1000 / bestOps.OpsPerSecond:F2} ms)"));
            }

            text.Append(Invariant($"; {f.PerJob.WriteTransactions:F2} write transactions per job"));
            if (bestOps is not null)
            {
                text.Append(Invariant($" against {bestOps.PerJob.WriteTransactions:F2} per operation in the closed loop"));
            }

            var active = f.Waits.Where(w => w.State != "Client:ClientRead").ToList();
            text.Append(Invariant($". `pg_stat_activity` during the runs: {active.Sum(w => w.Backends):F1} backends active on average — {Waits(active, 4)}."));
            text.Append(RowLocks(f.Waits));
            Line(s, text.ToString());
            Line(s);
        }

        if (r.GraphileWorker is { } g && g.Throughput.MaxBy(t => t.JobsPerSecond) is { Window: { } gw } bestG && bestOps is not null)
        {
            var per = gw.PerJob(bestG.Completed);
            var opsPg = bestOps.Cpu.Postgres * 1000 / bestOps.OpsPerSecond;
            var gPg = gw.Cpu.Postgres * 1000 / bestG.JobsPerSecond;
            var text = new StringBuilder();
            text.Append(Invariant($"**Ops against graphile-worker.** Best closed loop: Ops {bestOps.OpsPerSecond:F0} jobs/s, graphile-worker {bestG.JobsPerSecond:F0} ({bestG.Adders} adders), Ops ÷ graphile-worker = {bestOps.OpsPerSecond / bestG.JobsPerSecond:F2}. "));
            text.Append(Invariant($"A graphile-worker job cost PostgreSQL {gPg:F2} ms of CPU, {per.WriteTransactions:F2} write transactions and {per.WalBytes:N0} WAL bytes; an Ops job {opsPg:F2} ms, {bestOps.PerJob.WriteTransactions:F2} and {bestOps.PerJob.WalBytes:N0} ({opsPg / gPg:F1}× the CPU, {bestOps.PerJob.WriteTransactions / per.WriteTransactions:F1}× the write transactions). "));
            text.Append(Invariant($"In that graphile-worker window the machine was busy {gw.Cpu.MachineBusy:F2} cores: PostgreSQL {gw.Cpu.Postgres:F2}, the Node process (adders + worker) {gw.NodeCores:F2}"));
            var active = gw.Waits.Where(w => w.State != "Client:ClientRead").ToList();
            text.Append(Invariant($"; backends active {active.Sum(w => w.Backends):F1} on average — {Waits(active, 3)}. "));
            text.Append(Invariant($"Add → start p50: Ops {r.Dispatch.StartP50:F2} ms (its POST alone {r.Dispatch.PostP50:F2}), graphile-worker {g.Latency.P50:F2} ms (its `addJob` alone {g.Latency.AddP50:F2}): Ops ÷ graphile-worker = {r.Dispatch.StartP50 / g.Latency.P50:F2}, and of the difference {r.Dispatch.PostP50 - g.Latency.AddP50:F2} ms is the add itself (Ops: HTTP + JWT + validation + the submit transaction; graphile-worker: one `add_job` call). "));
            text.Append(Invariant($"graphile-worker's batched drain ({g.Drain.JobsPerSecond:F0} jobs/s) shows what batching the fetch and the completion buys on this machine: ×{g.Drain.JobsPerSecond / bestG.JobsPerSecond:F0} over its own one-at-a-time closed loop."));
            Line(s, text.ToString());
            Line(s);
        }
    }

    /// <summary>A sentence on row-lock waits when at least half a backend on average waited for one, else nothing.</summary>
    private static string RowLocks(IReadOnlyList<PgWait> waits)
    {
        var rowLocks = waits.Where(w => w.State is "Lock:transactionid" or "Lock:tuple").ToList();
        var total = rowLocks.Sum(w => w.Backends);
        if (total < 0.5)
        {
            return string.Empty;
        }

        var statements = rowLocks.GroupBy(w => w.Statement.Trim()).OrderByDescending(g => g.Sum(w => w.Backends)).Take(2).Select(g => $"`{g.Key}…`");
        return Invariant($" {total:F1} backends on average waited for another transaction's row lock (`Lock:transactionid`/`Lock:tuple`): concurrent transactions updating the same rows, in {string.Join(" and ", statements)} — those commits queue behind one another whatever the CPU.");
    }

    private static string Leader(CpuUsage c)
    {
        var parts = new (string Name, double Cores)[] { ("PostgreSQL", c.Postgres), ("the control plane", c.ControlPlane), ("the bench with its simulated agents", c.Bench), ("other work", c.Other) }
            .OrderByDescending(p => p.Cores)
            .ToList();
        return string.Join(", ", parts.Select(p => Invariant($"{p.Name} {p.Cores:F2}")));
    }

    private static string Faster(double ops, double other, bool lowerIsBetter)
    {
        if (double.IsNaN(ops) || double.IsNaN(other))
        {
            return "not compared";
        }

        var opsWins = lowerIsBetter ? ops < other : ops > other;
        return opsWins ? "Ops faster" : "graphile-worker faster";
    }

    private static void Row(StringBuilder s, string measure, double ops, double other, bool lowerIsBetter, string format, double? opsSecond = null, double? otherSecond = null, bool bold = false)
    {
        string Cell(double v, double? second) =>
            (double.IsNaN(v) ? "—" : v.ToString(format, CultureInfo.InvariantCulture))
            + (second is { } x ? " / " + (double.IsNaN(x) ? "—" : x.ToString(format, CultureInfo.InvariantCulture)) : string.Empty);
        var ratio = double.IsNaN(ops) || double.IsNaN(other) || other == 0 ? "—" : (ops / other).ToString("F2", CultureInfo.InvariantCulture);
        var (b, e) = bold ? ("**", "**") : (string.Empty, string.Empty);
        var faster = Faster(ops, other, lowerIsBetter);
        Line(s, $"| {measure} | {b}{Cell(ops, opsSecond)}{e} | {b}{Cell(other, otherSecond)}{e} | {b}{ratio}{e} | {(faster == "not compared" ? string.Empty : faster)} |");
    }
}
