#!/usr/bin/env bash
# Demo stand-in for seed 004 §4.1's `curl -f https://…/api/v1/health/` after each update: fails
# when the version recorded in this demo host's folder ends in "-bad". Policy script `demo.health`.
set -euo pipefail
: "${DEMO_HOST_DIR:?DEMO_HOST_DIR must be set by the policy}"
version="$(cat "$DEMO_HOST_DIR/version" 2>/dev/null || echo none)"
echo "health of ${DEMO_HOST_NAME:-$(hostname)}: version $version"
case "$version" in
  *-bad) echo "unhealthy: version $version fails its health check" >&2; exit 1 ;;
esac
echo "healthy"
