#!/usr/bin/env bash
# Seeds 001, 003 and 004: the steps that were still done by hand at a terminal (issue 15), run by Ops:
#   tar czvf config-$(date).tar.gz .env docker-compose.yml grafana.ini …   → files.archive of the config folder, kept 60 days
#   restore test of that archive into a fresh folder                        → files.restore-archive (destructive: approved by a second admin)
#   curl -u $ADMIN_USERNAME:$ADMIN_PASSWORD -X POST <api>/admin/ingest       → http.request with the policy's named credential
#   redis-cli PING / INFO memory / LLEN celery ("Queue Celery Saturée")     → redis.check lists ["celery"], maxListLength
# Usage: examples/volumes-and-queues.sh   (against ./ops up; OPS_URL, OPS_TOKEN, OPS_TARGET to point elsewhere)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OPS_HOME="${OPS_HOME:-$_ops_root/.ops}"
STAMP="$(date -u +%Y%m%d%H%M%S)"
# The restore is destructive: a second person approves it (here an admin token minted for "approver").
OPS_APPROVER_TOKEN="${OPS_APPROVER_TOKEN:-$(OPS_HOME="$OPS_HOME" "$_ops_root/ops" token --sub approver --role admin --ttl 15m 2>/dev/null)}"

ops_run "1. monthly copy of the configuration folder (seed 003), logs left out, kept 60 days" files.archive \
  "{\"path\":\"$OPS_HOME/demo\",\"name\":\"config\",\"exclude\":[\"*.log\"],\"retentionDays\":60}"
ARCHIVE="$(jq -r '.result.file // empty' <<<"$OPS_JOB")"
if [ -n "$ARCHIVE" ]; then
  ops_run "2. restore test of $ARCHIVE into a new folder (seed 003 'Restauration d'un volume')" files.restore-archive \
    "{\"file\":\"$ARCHIVE\",\"path\":\"$OPS_HOME/restore/config-$STAMP\"}"
fi

# The demo's named credential "demo.api" may POST only to the control plane's operations route:
# the "restart the ingestion through the API" of seed 001, here asking Ops itself for an agent.ping.
ops_run "3. authenticated POST through the API with the named credential (seed 001)" http.request \
  "$(jq -nc --arg url "$OPS_URL/api/v1/operations" '{url: $url, method: "POST", credential: "demo.api",
      body: ({kind: "agent.ping", target: {all: true}} | tojson), expectedStatus: [202]}')"

if grep -q '"Redis"' "$OPS_HOME/agent.json" 2>/dev/null; then
  ops_run "4. Redis health and the Celery queue length (seed 004 §1.3, §5.1)" redis.check \
    '{"instance":"demo","sections":["memory","clients"],"lists":["celery"],"maxListLength":1000,"maxMemoryPercent":90}'
else
  echo "== 4. skipped: the demo has no Redis instance (redis-server is not installed)"
fi

[ "$OPS_FAILED" -eq 0 ] && echo "volumes and queues: all steps succeeded" || { echo "volumes and queues: some steps failed" >&2; exit 1; }
