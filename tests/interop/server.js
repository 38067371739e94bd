'use strict';
// Interop server for the C# client (DESIGN.md §3, direction b): a @grpc/grpc-js implementation of
// ops.agent.v1.AgentService whose behaviour is driven by request content, so tests can reach every case.
//
//   node server.js            -> listens on 127.0.0.1:<random>, prints "PORT <n>" as the first stdout line.
//
// Enroll.enrollment_token:
//   "ok"                 -> success; agent_id = "agent-" + hostname, agent_token = received authorization,
//                           heartbeat_interval_ms = 1 if the call has a deadline else 0; echoes metadata
//                           x-echo (ASCII) and x-data-bin (binary) into a response header and a trailer.
//   "status:<code>"      -> fails with that status, a non-ASCII message containing '%', trailer x-error: yes.
//   "sleep:<ms>[:<id>]"  -> waits <ms> then succeeds; records <id> as cancelled if the client cancels.
// Start.job_id "cancelled?<id>" -> proceed = whether the sleep call <id> saw a client cancellation.
// Start.job_id "started?<id>"   -> proceed = whether the sleep call <id> has reached the server.
// Pull.max_jobs 3 / 5   -> one job whose parameters_json is 3 MiB / 5 MiB (send limit raised to 16 MiB).
// Heartbeat             -> cancel_job_ids = running_job_ids, heartbeat_interval_ms = 15000.
// AppendOutput          -> cancel_requested = (chunks.length > 0); Complete -> accepted = outcome SUCCEEDED.
const { grpc, loadAgentService } = require('./agent_proto');

const MiB = 1024 * 1024;
const cancelledCalls = new Set();
const startedCalls = new Set();

function statusMessage(code) {
  return `Fehler ü ✓ 100% sicher: status ${code}`;
}

function enroll(call, callback) {
  const token = call.request.enrollment_token;
  if (token === 'ok') {
    const headers = new grpc.Metadata();
    const trailers = new grpc.Metadata();
    for (const value of call.metadata.get('x-echo')) {
      headers.add('x-echo', value);
      trailers.add('x-echo-trailer', value);
    }
    for (const value of call.metadata.get('x-data-bin')) {
      headers.add('x-data-bin', value);
      trailers.add('x-data-trailer-bin', value);
    }
    call.sendMetadata(headers);
    const authorization = call.metadata.get('authorization');
    const deadline = call.getDeadline();
    callback(
      null,
      {
        agent_id: `agent-${call.request.hostname}`,
        agent_token: authorization.length > 0 ? String(authorization[0]) : '',
        heartbeat_interval_ms: deadline instanceof Date || Number.isFinite(deadline) ? 1 : 0,
      },
      trailers,
    );
    return;
  }

  if (token.startsWith('status:')) {
    const code = Number.parseInt(token.slice('status:'.length), 10);
    const trailers = new grpc.Metadata();
    trailers.add('x-error', 'yes');
    callback({ code, details: statusMessage(code), metadata: trailers });
    return;
  }

  if (token.startsWith('sleep:')) {
    const [, ms, id] = token.split(':');
    if (id) {
      startedCalls.add(id);
    }
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      callback(null, { agent_id: 'slept' });
    }, Number.parseInt(ms, 10));
    call.on('cancelled', () => {
      if (id) {
        cancelledCalls.add(id);
      }
      if (!done) {
        clearTimeout(timer);
      }
    });
    return;
  }

  callback({ code: grpc.status.INVALID_ARGUMENT, details: `unknown enrollment_token '${token}'` });
}

function pull(call, callback) {
  const maxJobs = call.request.max_jobs;
  const jobs = [];
  if (maxJobs === 3 || maxJobs === 5) {
    jobs.push({
      job_id: `job-${maxJobs}`,
      kind: 'big',
      parameters_json: 'x'.repeat(maxJobs * MiB),
      attempt: 1,
    });
  }
  callback(null, { jobs, cancel_job_ids: [] });
}

function start(call, callback) {
  const jobId = call.request.job_id;
  if (jobId.startsWith('cancelled?')) {
    callback(null, { proceed: cancelledCalls.has(jobId.slice('cancelled?'.length)) });
    return;
  }
  if (jobId.startsWith('started?')) {
    callback(null, { proceed: startedCalls.has(jobId.slice('started?'.length)) });
    return;
  }
  callback(null, { proceed: true });
}

function appendOutput(call, callback) {
  callback(null, { cancel_requested: call.request.chunks.length > 0 });
}

function heartbeat(call, callback) {
  callback(null, { cancel_job_ids: call.request.running_job_ids, heartbeat_interval_ms: 15000 });
}

function complete(call, callback) {
  callback(null, { accepted: call.request.outcome === 'JOB_OUTCOME_SUCCEEDED' });
}

function main() {
  const server = new grpc.Server({
    'grpc.max_send_message_length': 16 * MiB,
    'grpc.max_receive_message_length': 16 * MiB,
  });
  server.addService(loadAgentService().service, {
    Enroll: enroll,
    Pull: pull,
    Start: start,
    AppendOutput: appendOutput,
    Heartbeat: heartbeat,
    Complete: complete,
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      process.stderr.write(`bind failed: ${error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`PORT ${port}\n`);
  });

  const shutdown = () => server.tryShutdown(() => process.exit(0));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // Exit when the parent (the test run) closes our stdin.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

main();
