#!/usr/bin/env bash
# Demo stand-in for seed 004 §4.1's `docker service update --image taxcollector:$VERSION`: records
# the deployed version in this demo host's folder ($DEMO_HOST_DIR/version) and appends it to
# $DEMO_HOST_DIR/history. Run by a demo web agent through the policy script `demo.deploy`
# (argv, never a shell line); the agent has already checked that --version is a semantic version.
set -euo pipefail
version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || { echo "--version must be a semantic version (got '$version')" >&2; exit 2; }
: "${DEMO_HOST_DIR:?DEMO_HOST_DIR must be set by the policy}"
previous="$(cat "$DEMO_HOST_DIR/version" 2>/dev/null || echo none)"
echo "deploy on ${DEMO_HOST_NAME:-$(hostname)}: $previous -> $version"
printf '%s\n' "$version" > "$DEMO_HOST_DIR/version.tmp"
mv "$DEMO_HOST_DIR/version.tmp" "$DEMO_HOST_DIR/version"
printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$version" >> "$DEMO_HOST_DIR/history"
echo "deployed $version"
