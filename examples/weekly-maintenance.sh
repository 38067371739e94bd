#!/usr/bin/env bash
# Seed 004 (TaxCollector), §4.2 "tables les plus volumineuses" / dead tuples, §3 weekly
# maintenance (vacuum) and the weekly restore test of its backup schedule — run by Ops:
#   SELECT relname, n_live_tup, n_dead_tup, pg_total_relation_size(...)  → postgres.stats tables
#   VACUUM ANALYZE                                                         → postgres.vacuum
#   restore the latest backup into a scratch database and count rows      → postgres.verify-backup
# Usage: examples/weekly-maintenance.sh   (against ./ops up)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ops_run "1. dead tuples and table sizes" postgres.stats '{"database":"demo","sections":["tables"]}'
ops_run "2. VACUUM ANALYZE" postgres.vacuum '{"database":"demo"}'
ops_run "3. a backup to test" postgres.backup '{"database":"demo"}'
ops_run "4. restore test of the latest backup" postgres.verify-backup '{"database":"demo"}'

[ "$OPS_FAILED" -eq 0 ] && echo "weekly maintenance: all steps succeeded" || { echo "weekly maintenance: some steps failed" >&2; exit 1; }
