'use strict';
// Loads ops.agent.v1.AgentService from the repository's .proto (DESIGN.md §4) with @grpc/proto-loader.
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.resolve(__dirname, '../../protos');
const PROTO_FILE = path.join(PROTO_ROOT, 'ops/agent/v1/agent.proto');

const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

function loadAgentService() {
  const definition = protoLoader.loadSync(PROTO_FILE, LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(definition);
  return pkg.ops.agent.v1.AgentService;
}

/** Converts grpc-js Metadata to a plain object: key -> array of strings (binary values as base64). */
function metadataToJson(metadata) {
  const result = {};
  if (!metadata) {
    return result;
  }
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    result[key] = values.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : String(v)));
  }
  return result;
}

module.exports = { grpc, loadAgentService, metadataToJson, PROTO_FILE };
