#!/usr/bin/env bash
# Seed 000 (Manalytics), "Démarrage quotidien", "Monitoring", "Scraping de données",
# "Maintenance de la Base de Données" and "Backup et Restauration" — the daily routine, run by
# Ops instead of pasted by hand:
#   curl http://localhost:8000/health            → http.check (with the "API > 2 s" alert as maxLatencyMs)
#   df -h /var/lib/docker, alert "< 10GB"        → host.disk minFreeBytes 10 GB
#   psql … pg_database_size / pg_stat_*          → postgres.stats
#   pg_dump | gzip, keep 7 days                  → postgres.backup retentionDays 7
#   VACUUM ANALYZE                               → postgres.vacuum
#   docker logs --tail=100 | grep -i error       → logs.tail pattern error, ignoreCase
#   run_pipeline.py --format all --days 1        → script.run demo.pipeline
# Usage: examples/daily-routine.sh   (against ./ops up; OPS_URL, OPS_TOKEN, OPS_TARGET to point elsewhere)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OPS_HOME="${OPS_HOME:-$_ops_root/.ops}"
APP_HEALTH_URL="${APP_HEALTH_URL:-$OPS_URL/health/ready}"   # the demo has no app on :8000; Ops' own health stands in

ops_run "1. health check" http.check "{\"url\":\"$APP_HEALTH_URL\",\"maxLatencyMs\":2000,\"bodyContains\":\"healthy\"}"
ops_run "2. disk space (alert below 10 GB)" host.disk '{"minFreeBytes":10000000000}'
ops_run "3. database statistics" postgres.stats '{"database":"demo","sections":["size","connections","tables"]}'
ops_run "4. backup, keep 7 days" postgres.backup '{"database":"demo","retentionDays":7}'
ops_run "5. VACUUM ANALYZE" postgres.vacuum '{"database":"demo","analyze":true}'
ops_run "6. errors in the application log" logs.tail "{\"path\":\"$OPS_HOME/demo/app.log\",\"lines\":100,\"pattern\":\"error\",\"ignoreCase\":true}"
ops_run "7. scraping pipeline, all formats, 1 day" script.run '{"script":"demo.pipeline","arguments":{"format":"all","days":1}}'

[ "$OPS_FAILED" -eq 0 ] && echo "daily routine: all steps succeeded" || { echo "daily routine: some steps failed" >&2; exit 1; }
