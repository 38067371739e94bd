'use strict';
// Drives the real Ops control plane with @grpc/grpc-js (DESIGN.md §3 interop, direction a):
// enroll → pull → start → append output → heartbeat → complete, then the error statuses
// UNAUTHENTICATED, NOT_FOUND, FAILED_PRECONDITION and DEADLINE_EXCEEDED.
//
//   node control_plane_flow.js <grpc host:port> <rest base url> <admin jwt>
//
// Prints one JSON object {steps: {name: result}} on stdout; the C# test asserts on it.
const { callOnce } = require('./agent_client');

async function rest(base, token, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function main() {
  const [address, restBase, adminToken] = process.argv.slice(2);
  const steps = {};
  const enrollment = await rest(restBase, adminToken, 'POST', '/api/v1/enrollment-tokens', { labels: { via: 'grpc-js' } });
  steps.enroll = await callOnce(address, 'Enroll', {
    enrollment_token: enrollment.body.token,
    hostname: 'grpc-js-host',
    labels: { runtime: 'node' },
    agent_version: 'grpc-js-interop',
    capabilities: ['agent.ping'],
    facts: { os: 'node', kernel: process.version, architecture: process.arch, cpu_count: 2, memory_total_bytes: '1024' },
  });
  const agentId = steps.enroll.response.agent_id;
  const token = steps.enroll.response.agent_token;

  const operation = await rest(restBase, adminToken, 'POST', '/api/v1/operations', { kind: 'agent.ping', target: { agentIds: [agentId] } });
  steps.submit = { status: operation.status, id: operation.body.id };
  steps.pull = await callOnce(address, 'Pull', { max_jobs: 4, wait_ms: 5000 }, { token, deadlineMs: 15000 });
  const job = steps.pull.response.jobs[0];
  steps.start = await callOnce(address, 'Start', { job_id: job.job_id, attempt: job.attempt }, { token });
  const now = { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 };
  steps.append = await callOnce(address, 'AppendOutput', {
    job_id: job.job_id,
    attempt: job.attempt,
    chunks: [
      { seq: '1', stream: 'OUTPUT_STREAM_STDOUT', data: Buffer.from('pong from grpc-js\n'), at: now },
      { seq: '2', stream: 'OUTPUT_STREAM_STDERR', data: Buffer.from('é✓ utf-8\n'), at: now },
    ],
  }, { token });
  steps.heartbeat = await callOnce(address, 'Heartbeat', {
    running_job_ids: [job.job_id],
    stats: { at: now, cpu_percent: 3.5, memory_used_bytes: '100', memory_total_bytes: '1000', load1: 0.1, disks: [{ mount: '/', total_bytes: '10', free_bytes: '5' }] },
  }, { token });
  steps.complete = await callOnce(address, 'Complete', {
    job_id: job.job_id,
    attempt: job.attempt,
    outcome: 'JOB_OUTCOME_SUCCEEDED',
    exit_code: 0,
    result_json: JSON.stringify({ agentVersion: 'grpc-js-interop', time: new Date().toISOString() }),
    started_at: now,
    finished_at: now,
    output_bytes: '30',
  }, { token });
  steps.completeAgain = await callOnce(address, 'Complete', { job_id: job.job_id, attempt: job.attempt, outcome: 'JOB_OUTCOME_SUCCEEDED' }, { token });
  steps.job = (await rest(restBase, adminToken, 'GET', `/api/v1/jobs/${job.job_id}`)).body;
  steps.output = (await rest(restBase, adminToken, 'GET', `/api/v1/jobs/${job.job_id}/output`)).body;

  steps.unauthenticated = await callOnce(address, 'Pull', { max_jobs: 1, wait_ms: 0 }, { token: 'opsagt_forged' });
  steps.notFound = await callOnce(address, 'Start', { job_id: '00000000-0000-7000-8000-000000000000', attempt: 1 }, { token });
  steps.failedPrecondition = await callOnce(address, 'Start', { job_id: job.job_id, attempt: job.attempt + 5 }, { token });
  steps.invalidArgument = await callOnce(address, 'Start', { job_id: 'not-a-uuid', attempt: 1 }, { token });
  steps.deadlineExceeded = await callOnce(address, 'Pull', { max_jobs: 1, wait_ms: 10000 }, { token, deadlineMs: 300 });
  steps.afterDeadline = await callOnce(address, 'Heartbeat', {}, { token });
  process.stdout.write(JSON.stringify({ steps }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
