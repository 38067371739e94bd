#!/usr/bin/env bash
# Demo stand-in for seed 002's configuration change ("modifier la config, puis redémarrer un
# service à la fois"): sets the log level in this demo host's app.yml. Policy script `demo.configure`.
set -euo pipefail
level=""
while [ $# -gt 0 ]; do
  case "$1" in
    --log-level) level="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$level" in debug|info|warning|error) ;; *) echo "--log-level must be debug, info, warning or error" >&2; exit 2 ;; esac
: "${DEMO_HOST_DIR:?DEMO_HOST_DIR must be set by the policy}"
printf 'log_level: %s\nupdated_at: %s\n' "$level" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$DEMO_HOST_DIR/app.yml"
echo "configured ${DEMO_HOST_NAME:-$(hostname)}: log_level=$level (service restarted)"
