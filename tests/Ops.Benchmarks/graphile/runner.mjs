// The graphile-worker side of bench.mjs, on its own worker_thread (its own event loop, as Ops's
// control plane is its own process): one graphile-worker runner whose only task, `bench_noop`,
// does nothing but tell the main thread when it started, as a process.hrtime.bigint() reading
// (one monotonic clock for every thread of the process).
//
// Messages in:  {cmd: "start", pg, concurrency, localQueueSize, completeJobBatchDelay}, {cmd: "stop"}
// Messages out: {ready: true}, {done: [[jobId, ns], ...]} (batched per event-loop turn), {stopped: true}, {error}
import { parentPort } from "node:worker_threads";
import pg from "pg";
import { run, Logger } from "graphile-worker";

const quiet = new Logger(() => (level, message) => {
  if (level === "error") {
    process.stderr.write(`[graphile-worker] ${message}\n`);
  }
});

let runner = null;
let pool = null;
let pending = [];
let flushQueued = false;

function flush() {
  flushQueued = false;
  const batch = pending;
  pending = [];
  parentPort.postMessage({ done: batch });
}

const taskList = {
  bench_noop: async (payload) => {
    pending.push([payload.id, String(process.hrtime.bigint())]);
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  },
};

parentPort.on("message", async (message) => {
  try {
    if (message.cmd === "start") {
      pool = new pg.Pool({ ...message.pg, max: message.concurrency + 2 });
      const report = (e) => process.stderr.write(`[runner.mjs] pg client error: ${e.message}\n`);
      pool.on("error", report);
      pool.on("connect", (client) => client.on("error", report));
      const worker = {
        concurrentJobs: message.concurrency,
        gracefulShutdownAbortTimeout: 2500,
      };
      if (message.localQueueSize > 0) {
        worker.localQueue = { size: message.localQueueSize, refetchDelay: { durationMs: 10 } };
      }
      if (message.completeJobBatchDelay >= 0) {
        worker.completeJobBatchDelay = message.completeJobBatchDelay;
        worker.failJobBatchDelay = message.completeJobBatchDelay;
      }
      runner = await run({ pgPool: pool, taskList, noHandleSignals: true, logger: quiet, preset: { worker } });
      parentPort.postMessage({ ready: true });
    } else if (message.cmd === "stop") {
      await runner?.stop();
      await pool?.end();
      runner = null;
      pool = null;
      parentPort.postMessage({ stopped: true });
    }
  } catch (e) {
    parentPort.postMessage({ error: String(e?.stack ?? e) });
  }
});
