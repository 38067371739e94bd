'use strict';
// A minimal agent (grpc-js) that enrolls, leases jobs, starts only the first one, heartbeats,
// and then does nothing until it is killed — the "kill -9 an agent holding a leased and a
// running job" scenario of the agent protocol (DESIGN.md §5).
//
//   node hold_jobs.js <grpc host:port> <enrollment token> <capabilities comma-separated>
//
// Prints JSON lines: {"enrolled":{agentId, agentToken}} at once; after a line "pull" on stdin,
// {"held":{"running":{job_id, attempt}, "leased":{job_id, attempt}}}.
const readline = require('node:readline');
const { callOnce } = require('./agent_client');

async function main() {
  const [address, enrollmentToken, capabilities] = process.argv.slice(2);
  const enroll = await callOnce(address, 'Enroll', {
    enrollment_token: enrollmentToken, hostname: 'holder', capabilities: capabilities.split(','),
  });
  if (!enroll.ok) throw new Error(JSON.stringify(enroll));
  const token = enroll.response.agent_token;
  process.stdout.write(JSON.stringify({ enrolled: { agentId: enroll.response.agent_id, agentToken: token } }) + '\n');

  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() !== 'pull') continue;
    const jobs = [];
    while (jobs.length < 2) {
      const pull = await callOnce(address, 'Pull', { max_jobs: 2 - jobs.length, wait_ms: 5000 }, { token, deadlineMs: 15000 });
      if (!pull.ok) throw new Error(JSON.stringify(pull));
      jobs.push(...pull.response.jobs);
    }
    const [running, leased] = jobs;
    const start = await callOnce(address, 'Start', { job_id: running.job_id, attempt: running.attempt }, { token });
    if (!start.ok || !start.response.proceed) throw new Error(JSON.stringify(start));
    await callOnce(address, 'Heartbeat', { running_job_ids: [running.job_id] }, { token });
    process.stdout.write(JSON.stringify({ held: {
      running: { job_id: running.job_id, kind: running.kind, attempt: running.attempt },
      leased: { job_id: leased.job_id, kind: leased.kind, attempt: leased.attempt },
    } }) + '\n');
    setInterval(() => {}, 1 << 30); // hold everything until SIGKILL
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
