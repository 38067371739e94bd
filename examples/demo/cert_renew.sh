#!/usr/bin/env bash
# Demo stand-in for seed 004 §4.3's `certbot renew`: records the renewal time in
# $OPS_HOME/demo/cert-renewed-at. Policy script `demo.cert-renew` of the local agent.
set -euo pipefail
: "${DEMO_DIR:?DEMO_DIR must be set by the policy}"
date -u +%Y-%m-%dT%H:%M:%SZ > "$DEMO_DIR/cert-renewed-at"
echo "certificates renewed (demo stand-in for certbot renew) at $(cat "$DEMO_DIR/cert-renewed-at")"
