#!/usr/bin/env bash
# Seed 002 (MON_PS), "sauvegarder un fichier avant de le modifier" and "redémarrer un service à
# la fois": back the configuration file up, then look at the services before any restart:
#   cp config.yml config.yml.backup-$(date +%Y%m%d-%H%M%S)   → file.backup
#   docker compose ps                                        → service.status
# service.status needs a running service manager on the agent's host (Docker engine with the
# compose plugin, swarm, or systemd). On a host without one — like the ./ops up demo machine —
# the job fails with the tool's own message; that is reported here and does not fail the script.
# Usage: examples/safe-config-change.sh   (against ./ops up)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OPS_HOME="${OPS_HOME:-$_ops_root/.ops}"
CONFIG_FILE="${CONFIG_FILE:-$OPS_HOME/demo/app.yml}"

ops_run "1. back up the configuration before changing it" file.backup "{\"path\":\"$CONFIG_FILE\"}"
backup_failed=$OPS_FAILED
ops_run "2. state of the services" service.status '{}'
if [ "$OPS_FAILED" -ne 0 ] && [ "$backup_failed" -eq 0 ]; then
  echo "   (service.status failed: this host has no usable service manager — see the error above)"
fi

[ "$backup_failed" -eq 0 ] && echo "safe change: configuration backed up; edit it, then restart one service at a time" \
  || { echo "safe change: the backup failed — do not touch the file" >&2; exit 1; }
