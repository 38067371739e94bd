// graphile-worker 0.18.0 measured the way ./ops bench measures Ops, on the same PostgreSQL cluster,
// in the same run (tests/Ops.Benchmarks/GraphileWorkerBenchmark.cs starts it and samples CPU and
// pg_stat_activity between the window lines it prints).
//
//   node bench.mjs '<json config>'   (config fields: see `defaults` below)
//
// Adders run on this (main) thread with their own pg pool and graphile-worker's WorkerUtils.addJob /
// addJobs; the graphile-worker runner runs on a worker_thread (runner.mjs). Its task `bench_noop`
// stamps process.hrtime.bigint() when it starts and posts it back, so add → start is one monotonic
// clock. Phases:
//   latency:    one job at a time with the runner waiting (concurrency 1), like graphile-worker's
//               own perfTest/latencyTest.js: clock read before addJob, stopped at the task's start;
//               a 15 ms pause between samples (as Ops's dispatch section gives its Pull 15 ms).
//   throughput: N closed-loop adders, each adding one job and waiting until its task has run
//               before adding the next; runner concurrency C; warm-up then a counted window.
//   bulk:       one addJobs call of B jobs → all B tasks run (median of R), same runner as throughput.
//   drain:      D jobs queued with addJobs (no runner), then a runner in graphile-worker's batched
//               mode (localQueue, completeJobBatchDelay 0) drains them: their perfTest's shape.
// Output: one JSON object per line on stdout: {"event":"window-start"|"window-end", "name", "seconds"}
// around each measured window, then {"event":"result", ...}. Errors go to stderr, exit code 1.
import { Worker } from "node:worker_threads";
import pg from "pg";
import { makeWorkerUtils, runMigrations, Logger } from "graphile-worker";

const defaults = {
  pg: { host: "/tmp", port: 5432, user: "postgres", database: "graphile" },
  latencyWarmup: 50,
  latencySamples: 500,
  throughput: [{ adders: 32, concurrency: 80 }],
  warmupSeconds: 3,
  windowSeconds: 15,
  addPoolSize: 32,
  bulkJobs: 1000,
  bulkRuns: 5,
  bulkConcurrency: 80,
  drainJobs: 20000,
  drainConcurrency: 24,
  drainLocalQueue: 500,
};
const config = { ...defaults, ...JSON.parse(process.argv[2] ?? "{}") };
process.env.NO_LOG_SUCCESS = "1";

const quiet = new Logger(() => (level, message) => {
  if (level === "error") {
    process.stderr.write(`[graphile-worker] ${message}\n`);
  }
});
const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Resolves to `value` (or null after `timeoutMs`), clearing its timer either way.
function within(promise, timeoutMs) {
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const now = () => process.hrtime.bigint();
const ms = (from, to) => Number(to - from) / 1e6;

function percentile(sample, p) {
  if (sample.length === 0) return null;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank - 1, 0), sorted.length - 1)];
}

const median = (sample) => percentile(sample, 50);

// The runner thread and the rendezvous keyed by job payload id.
const waiting = new Map(); // id -> {resolve}
let onDone = null; // optional hook (drain) called with (id, ns)
const thread = new Worker(new URL("./runner.mjs", import.meta.url), { env: process.env });
let control = null;
thread.on("message", (message) => {
  if (message.done) {
    for (const [id, ns] of message.done) {
      const at = BigInt(ns);
      onDone?.(id, at);
      const w = waiting.get(id);
      if (w) {
        waiting.delete(id);
        w.resolve(at);
      }
    }
  } else if (message.error) {
    process.stderr.write(message.error + "\n");
    process.exit(1);
  } else {
    control?.(message);
  }
});
thread.on("error", (e) => {
  process.stderr.write(String(e?.stack ?? e) + "\n");
  process.exit(1);
});

function ask(message) {
  return new Promise((resolve) => {
    control = resolve;
    thread.postMessage(message);
  });
}

const startRunner = (concurrency, localQueueSize = 0, completeJobBatchDelay = -1) =>
  ask({ cmd: "start", pg: config.pg, concurrency, localQueueSize, completeJobBatchDelay });
const stopRunner = () => ask({ cmd: "stop" });

function expect(id) {
  return new Promise((resolve) => waiting.set(id, { resolve }));
}

let nextId = 1;

async function main() {
  const addPool = new pg.Pool({ ...config.pg, max: config.addPoolSize });
  const report = (e) => process.stderr.write(`[bench.mjs] pg client error: ${e.message}\n`);
  addPool.on("error", report);
  addPool.on("connect", (client) => client.on("error", report));
  const migrateStart = now();
  await runMigrations({ pgPool: addPool, logger: quiet });
  const migrateMs = ms(migrateStart, now());
  const utils = await makeWorkerUtils({ pgPool: addPool, logger: quiet });
  const result = { event: "result", version: "0.18.0", node: process.version, migrateMs };

  // Latency: one job at a time, runner concurrency 1 waiting.
  await startRunner(1);
  const addToStart = [];
  const addAlone = [];
  for (let i = 0; i < config.latencyWarmup + config.latencySamples; i++) {
    await sleep(15);
    const id = nextId++;
    const started = expect(id);
    const t0 = now();
    await utils.addJob("bench_noop", { id });
    const tAdded = now();
    const at = await within(started, 30000);
    if (at === null) {
      throw new Error(`latency: job ${id} did not start within 30 s`);
    }
    if (i >= config.latencyWarmup) {
      addAlone.push(ms(t0, tAdded));
      addToStart.push(ms(t0, at));
    }
  }
  await stopRunner();
  result.latency = {
    samples: addToStart.length,
    p50: percentile(addToStart, 50),
    p95: percentile(addToStart, 95),
    p99: percentile(addToStart, 99),
    addP50: percentile(addAlone, 50),
  };

  // Closed-loop throughput.
  result.throughput = [];
  for (const { adders, concurrency } of config.throughput) {
    await startRunner(concurrency);
    const begin = now();
    const windowStart = begin + BigInt(Math.round(config.warmupSeconds * 1e9));
    const windowEnd = windowStart + BigInt(Math.round(config.windowSeconds * 1e9));
    const name = `throughput ${adders}x${concurrency}`;
    const startTimer = setTimeout(() => emit({ event: "window-start", name, seconds: config.windowSeconds }), config.warmupSeconds * 1000);
    const endTimer = setTimeout(() => emit({ event: "window-end", name }), (config.warmupSeconds + config.windowSeconds) * 1000);
    let errors = 0;
    const latencies = [];
    const adder = async () => {
      while (now() < windowEnd) {
        const id = nextId++;
        const done = expect(id);
        const t0 = now();
        try {
          await utils.addJob("bench_noop", { id });
        } catch (e) {
          waiting.delete(id);
          errors++;
          await sleep(100);
          continue;
        }
        const at = await within(done, 30000);
        if (at === null) {
          waiting.delete(id);
          errors++;
        } else if (at >= windowStart && at <= windowEnd) {
          latencies.push(ms(t0, at));
        }
      }
    };
    await Promise.all(Array.from({ length: adders }, adder));
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    await stopRunner();
    result.throughput.push({
      adders,
      concurrency,
      completed: latencies.length,
      jobsPerSecond: latencies.length / config.windowSeconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      errors,
    });
  }

  // Bulk: one addJobs call of bulkJobs jobs → all run.
  await startRunner(config.bulkConcurrency);
  const bulk = [];
  for (let run = 0; run < config.bulkRuns; run++) {
    await sleep(500);
    const specs = [];
    const done = [];
    for (let i = 0; i < config.bulkJobs; i++) {
      const id = nextId++;
      done.push(expect(id));
      specs.push({ identifier: "bench_noop", payload: { id } });
    }
    const t0 = now();
    await utils.addJobs(specs);
    const tAdded = now();
    const times = await within(Promise.all(done), 60000);
    if (times === null) {
      throw new Error(`bulk: ${config.bulkJobs} jobs did not all run within 60 s`);
    }
    const last = times.reduce((a, b) => (a > b ? a : b));
    bulk.push({ addMs: ms(t0, tAdded), allMs: ms(t0, last) });
  }
  await stopRunner();
  const all = bulk.map((b) => b.allMs);
  result.bulk = {
    jobs: config.bulkJobs,
    runs: bulk,
    medianMs: median(all),
    minMs: Math.min(...all),
    maxMs: Math.max(...all),
    addMedianMs: median(bulk.map((b) => b.addMs)),
  };

  // Drain in graphile-worker's batched mode.
  const queueStart = now();
  for (let queued = 0; queued < config.drainJobs; queued += 1000) {
    const specs = [];
    for (let i = 0; i < Math.min(1000, config.drainJobs - queued); i++) {
      specs.push({ identifier: "bench_noop", payload: { id: -(queued + i + 1) } });
    }
    await utils.addJobs(specs);
  }
  const queueMs = ms(queueStart, now());
  let first = null;
  let last = null;
  let count = 0;
  let drained;
  const allDone = new Promise((resolve) => (drained = resolve));
  onDone = (id, at) => {
    if (id < 0) {
      first ??= at;
      last = at;
      if (++count === config.drainJobs) drained();
    }
  };
  emit({ event: "window-start", name: "drain", seconds: 0 });
  const drainStart = now();
  await startRunner(config.drainConcurrency, config.drainLocalQueue, 0);
  await within(allDone, 120000);
  emit({ event: "window-end", name: "drain" });
  await stopRunner();
  onDone = null;
  result.drain = {
    jobs: config.drainJobs,
    executed: count,
    concurrency: config.drainConcurrency,
    localQueue: config.drainLocalQueue,
    queueMs,
    queuedPerSecond: config.drainJobs / (queueMs / 1000),
    startToLastMs: last === null ? null : ms(drainStart, last),
    jobsPerSecond: count > 1 ? (count - 1) / (ms(first, last) / 1000) : null,
  };

  await utils.release();
  await addPool.end();
  await thread.terminate();
  emit(result);
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + "\n");
  process.exit(1);
});
