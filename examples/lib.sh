# Shared helpers of the examples: submit an operation to Ops and wait for its result.
# Needs curl and jq. Reads OPS_URL (default http://127.0.0.1:8080) and OPS_TOKEN (default: the
# admin token that `./ops up` wrote to ${OPS_HOME:-<repo>/.ops}/admin.token).
set -euo pipefail

OPS_URL="${OPS_URL:-http://127.0.0.1:${OPS_HTTP_PORT:-8080}}"
_ops_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OPS_TOKEN="${OPS_TOKEN:-$(cat "${OPS_HOME:-$_ops_root/.ops}/admin.token")}"
OPS_TARGET="${OPS_TARGET:-{\"labels\":{\"env\":\"dev\",\"role\":\"ops\"}}}"
OPS_FAILED=0

# ops_api METHOD PATH [JSON]: one REST call; prints the body; fails on a non-2xx status.
ops_api() {
  local method="$1" path="$2" body="${3:-}"
  local args=(-sS -X "$method" -H "Authorization: Bearer $OPS_TOKEN" -w '\n%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  local response status
  response="$(curl "${args[@]}" "$OPS_URL$path")"
  status="${response##*$'\n'}"
  response="${response%$'\n'*}"
  if [ "$status" -lt 200 ] || [ "$status" -ge 300 ]; then
    echo "$method $path → HTTP $status: $response" >&2
    return 1
  fi
  printf '%s\n' "$response"
}

# ops_run TITLE KIND PARAMETERS_JSON: submits to $OPS_TARGET, waits until the operation ends,
# prints its status, each job's result (or error) and output; sets OPS_FAILED=1 when it did not
# succeed. The job JSON of the (first) job is left in $OPS_JOB for the caller to check.
ops_run() {
  local title="$1" kind="$2" parameters="$3"
  echo "== $title ($kind)"
  local operation id status
  operation="$(ops_api POST /api/v1/operations "$(jq -nc --arg kind "$kind" --argjson parameters "$parameters" --argjson target "$OPS_TARGET" \
    '{kind: $kind, parameters: $parameters, target: $target}')")"
  id="$(jq -r .id <<<"$operation")"
  # Destructive work waits for a second person (DESIGN.md §14): OPS_APPROVER_TOKEN is that person.
  if [ "$(jq -r .status <<<"$operation")" = pending_approval ] && [ -n "${OPS_APPROVER_TOKEN:-}" ]; then
    local approval; approval="$(jq -r .approvalId <<<"$operation")"
    curl -sS -X POST -H "Authorization: Bearer $OPS_APPROVER_TOKEN" -H 'Content-Type: application/json' \
      -d '{"comment":"approved by the example script'"'"'s second person"}' "$OPS_URL/api/v1/approvals/$approval/approve" \
      | jq -r '"   approval \(.id): \(.status) (\(.approvals)/\(.minApprovals), by \([.decisions[].by] | join(", ")))"'
  fi
  for _ in $(seq 1 600); do
    operation="$(ops_api GET "/api/v1/operations/$id")"
    status="$(jq -r .status <<<"$operation")"
    case "$status" in waiting|queued|running|pending_approval) sleep 0.2 ;; *) break ;; esac
  done
  OPS_JOB="$(jq -c '.jobs[0]' <<<"$operation")"
  local job_id; job_id="$(jq -r .id <<<"$OPS_JOB")"
  echo "   status: $status   (operation $id)"
  jq -r '"   exit code: \(.exitCode // "-")" , (if .error then "   error: \(.error)" else empty end)' <<<"$OPS_JOB"
  echo "   result:"; jq '.result' <<<"$OPS_JOB" | sed 's/^/     /'
  echo "   output:"; ops_api GET "/api/v1/jobs/$job_id/output?limit=5000" | jq -j '.chunks[].text' | sed 's/^/     | /'
  [ "$status" = "succeeded" ] || OPS_FAILED=1
}
