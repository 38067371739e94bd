#!/usr/bin/env bash
# Seed 001 (Poker France Tournaments), "vérifier la fraîcheur des données" and "détection
# d'anomalies": named read-only SQL checks of the agent's policy, each with its expectation:
#   SELECT count(*) … WHERE date > now()                     → postgres.check demo.freshness (at least 1)
#   SELECT name, date, count(*) … HAVING count(*) > 1        → postgres.check demo.duplicates (no rows)
# Usage: examples/data-checks.sh   (against ./ops up)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ops_run "1. data freshness: upcoming tournaments exist" postgres.check '{"database":"demo","check":"demo.freshness"}'
ops_run "2. anomalies: no tournament stored twice" postgres.check '{"database":"demo","check":"demo.duplicates"}'

[ "$OPS_FAILED" -eq 0 ] && echo "data checks: all passed" || { echo "data checks: some checks failed" >&2; exit 1; }
