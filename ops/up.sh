#!/usr/bin/env bash
# ops/up.sh: everything from a fresh Debian 12 machine to a running Pulse with the demo.
# Dependencies → services → source data → release build → migrations and topology → gateway and the seven
# workers in the background (logs in .pulse/logs) → the demo. Running it again restarts the processes.
# PULSE_BUILD_PATH=<dir> builds elsewhere than .build; PULSE_BIN_DIR=<dir> uses prebuilt binaries.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OPS="$PULSE_REPO/ops"

bash "$OPS/install.sh"
bash "$OPS/services.sh" start
bash "$OPS/load-source.sh"

cd "$PULSE_REPO"
if [[ -n ${PULSE_BIN_DIR:-} ]]; then
    BIN=$PULSE_BIN_DIR      # prebuilt binaries: no build
else
    mapfile -t build_args < <(swift_build_args)
    step "swift build -c release ${build_args[*]}"
    swift build -c release "${build_args[@]}"
    BIN=$(swift build -c release "${build_args[@]}" --show-bin-path)
fi

procs_stop pulse-gateway "${PULSE_WORKERS[@]}"

step "pulse migrate"
"$BIN/pulse" migrate
step "pulse topology apply"
"$BIN/pulse" topology apply

proc_start "$BIN" pulse-gateway "$PULSE_GATEWAY_PORT"
port=$PULSE_GATEWAY_PORT
for name in "${PULSE_WORKERS[@]}"; do
    port=$((port + 1))
    if [[ $name == pulse-scorer ]]; then
        # Two consuming threads: one request's rows are copied into PostgreSQL while the next is decoded and scored.
        PULSE_CONSUMERS=${PULSE_SCORER_CONSUMERS:-2} proc_start "$BIN" "$name" "$port"
    else
        proc_start "$BIN" "$name" "$port"
    fi
done

gateway_ready() {
    local name
    for name in pulse-gateway "${PULSE_WORKERS[@]}"; do
        if ! proc_pid "$name" >/dev/null; then
            tail -n 20 "$PULSE_LOG_DIR/$name.log" >&2 || true
            die "$name exited during start-up (log: $PULSE_LOG_DIR/$name.log)"
        fi
    done
    curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$PULSE_GATEWAY_PORT/readyz" 2>/dev/null
}
step "waiting for http://127.0.0.1:$PULSE_GATEWAY_PORT/readyz"
wait_until 90 "the gateway to be ready" gateway_ready || die "the gateway is not ready (log: $PULSE_LOG_DIR/pulse-gateway.log)"

if [[ -f $OPS/demo.py ]]; then
    step "python3 ops/demo.py"
    python3 "$OPS/demo.py"
else
    warn "ops/demo.py is missing: skipping the demo"
fi

cat >&2 <<INFO

Pulse is up.
  gateway      http://127.0.0.1:$PULSE_GATEWAY_PORT   (workers serve /metrics on the next 7 ports)
  RabbitMQ UI  http://127.0.0.1:$PULSE_AMQP_MGMT_PORT (guest/guest)   amqp 127.0.0.1:$PULSE_AMQP_PORT
  PostgreSQL   $PULSE_DATABASE_URL   source: 127.0.0.1:$PULSE_SOURCE_PG_PORT/flights
  logs         $PULSE_LOG_DIR
  dead letters $BIN/pulse dlq list extractor   (or curl -H "Authorization: Bearer \$(cat $PULSE_STATE_DIR/admin.token)" \\
               http://127.0.0.1:$PULSE_GATEWAY_PORT/admin/dlq)
  stop         ops/down.sh
INFO
