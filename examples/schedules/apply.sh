#!/usr/bin/env bash
# Applies every schedule of a folder (default: this one) with PUT /api/v1/schedules/{name}, the
# name being the file name without .json; ${OPS_HOME} in a file is replaced by its value.
# Idempotent: the same content again changes nothing (200, same version). Prints each
# schedule's next run. Needs curl and jq; reads OPS_URL and OPS_TOKEN like examples/lib.sh.
# Usage: examples/schedules/apply.sh [folder]
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
folder="${1:-$(dirname "${BASH_SOURCE[0]}")}"
home="${OPS_HOME:-$_ops_root/.ops}"

for file in "$folder"/*.json; do
  name="$(basename "$file" .json)"
  body="$(sed "s|\${OPS_HOME}|$home|g" "$file")"
  schedule="$(ops_api PUT "/api/v1/schedules/$name" "$body")"
  jq -r '"\(.name)\tv\(.version)\t\(if .paused then "paused" else "active" end)\tnext \(.nextRuns[0].local // "never")\t\(.cron) \(.timeZone)"' <<<"$schedule"
done
