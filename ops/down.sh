#!/usr/bin/env bash
# ops/down.sh: stops the gateway and the workers (SIGTERM, they drain), then RabbitMQ and PostgreSQL.
# The data in .pulse/ stays; ops/up.sh starts again from it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

procs_stop pulse-gateway "${PULSE_WORKERS[@]}"
bash "$PULSE_REPO/ops/services.sh" stop
