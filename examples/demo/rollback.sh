#!/usr/bin/env bash
# Demo stand-in for seed 004 §4.1's `--update-failure-action rollback`: puts --version back on this
# demo host, but only where a different version was deployed: a host still at that version, or
# where nothing was deployed, is left untouched. Policy script `demo.rollback`.
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
current="$(cat "$DEMO_HOST_DIR/version" 2>/dev/null || true)"
if [ -z "$current" ] || [ "$current" = "$version" ]; then
  echo "rollback on ${DEMO_HOST_NAME:-$(hostname)}: at '${current:-nothing}', nothing to roll back"
  exit 0
fi
echo "rollback on ${DEMO_HOST_NAME:-$(hostname)}: $current -> $version"
printf '%s\n' "$version" > "$DEMO_HOST_DIR/version.tmp"
mv "$DEMO_HOST_DIR/version.tmp" "$DEMO_HOST_DIR/version"
printf '%s %s (rollback)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$version" >> "$DEMO_HOST_DIR/history"
echo "rolled back to $version"
