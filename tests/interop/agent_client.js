'use strict';
// One-shot @grpc/grpc-js client of ops.agent.v1.AgentService (DESIGN.md §3, direction a).
//
//   node agent_client.js <host:port> <Method> '<json request>' [--token T] [--deadline-ms N]
//                        [--metadata key=value]... [--gzip]
//
// Performs exactly one unary RPC and prints one JSON line on stdout:
//   {"ok":true,"response":{...},"headers":{...},"trailers":{...}}
//   {"ok":false,"code":5,"details":"...","headers":{...},"trailers":{...}}
// Metadata values are arrays of strings (binary "-bin" values as base64). The exit code is 0 whenever a
// status was obtained (ok or not) and 2 for usage errors. Also usable as a module: callOnce(...).
const { grpc, loadAgentService, metadataToJson } = require('./agent_proto');

const METHODS = ['Enroll', 'Pull', 'Start', 'AppendOutput', 'Heartbeat', 'Complete'];

/**
 * Performs one RPC. Resolves (never rejects for RPC errors) with the JSON-able result described above.
 * options: { token, deadlineMs, metadata: [[key, value]...], gzip }
 */
function callOnce(address, method, request, options = {}) {
  if (!METHODS.includes(method)) {
    return Promise.reject(new Error(`unknown method ${method}; expected one of ${METHODS.join(', ')}`));
  }
  const AgentService = loadAgentService();
  const channelOptions = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
  if (options.gzip) {
    channelOptions['grpc.default_compression_algorithm'] = 2; // gzip
  }
  const client = new AgentService(address, grpc.credentials.createInsecure(), channelOptions);
  const metadata = new grpc.Metadata();
  if (options.token) {
    metadata.add('authorization', `Bearer ${options.token}`);
  }
  for (const [key, value] of options.metadata ?? []) {
    metadata.add(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
  }
  const callOptions = {};
  if (options.deadlineMs !== undefined) {
    callOptions.deadline = new Date(Date.now() + options.deadlineMs);
  }

  return new Promise((resolve) => {
    let headers = {};
    let outcome;
    const call = client[method](request, metadata, callOptions, (error, response) => {
      outcome = error
        ? { ok: false, code: error.code, details: error.details }
        : { ok: true, response };
    });
    call.on('metadata', (md) => {
      headers = metadataToJson(md);
    });
    call.on('status', (status) => {
      client.close();
      resolve({ ...(outcome ?? { ok: status.code === 0, code: status.code, details: status.details }), headers, trailers: metadataToJson(status.metadata) });
    });
  });
}

function parseArgs(argv) {
  const positional = [];
  const options = { metadata: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '--token':
        options.token = argv[++i];
        break;
      case '--deadline-ms':
        options.deadlineMs = Number.parseInt(argv[++i], 10);
        break;
      case '--metadata': {
        const pair = argv[++i] ?? '';
        const eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new Error(`--metadata expects key=value, got '${pair}'`);
        }
        options.metadata.push([pair.slice(0, eq), pair.slice(eq + 1)]);
        break;
      }
      case '--gzip':
        options.gzip = true;
        break;
      default:
        positional.push(arg);
    }
  }
  if (positional.length < 2 || positional.length > 3) {
    throw new Error('usage: node agent_client.js <host:port> <Method> [<json request>] [--token T] [--deadline-ms N] [--metadata k=v]... [--gzip]');
  }
  const [address, method, json] = positional;
  return { address, method, request: json ? JSON.parse(json) : {}, options };
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  try {
    const result = await callOnce(args.address, args.method, args.request, args.options);
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

if (require.main === module) {
  main();
}

module.exports = { callOnce, METHODS };
