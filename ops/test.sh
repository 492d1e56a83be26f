#!/usr/bin/env bash
# ops/test.sh [swift test arguments…]
# THE test command: installs what is missing, starts RabbitMQ and both PostgreSQL clusters, loads the source
# data, turns every test gate on, then builds and runs the whole suite. Exits with `swift test`'s status.
# PULSE_BUILD_PATH=<dir> builds in another directory than .build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OPS="$PULSE_REPO/ops"

bash "$OPS/install.sh"
bash "$OPS/services.sh" start
bash "$OPS/load-source.sh"
bash "$OPS/load-source.sh" --db flights_test    # a copy tests may change

if [[ -z $(psql_admin "$PULSE_PG_PORT" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'pulse_test'") ]]; then
    step "creating database pulse_test"
    psql_admin "$PULSE_PG_PORT" postgres -c "CREATE DATABASE pulse_test OWNER pulse"
fi

export PULSE_TEST_DATABASE_URL="$(pg_url "$PULSE_PG_PORT" pulse_test)"
export PULSE_TEST_AMQP_URL="$PULSE_AMQP_URL"
export PULSE_TEST_SOURCE_URL="$(source_reader_url flights)"
export PULSE_TEST_SOURCE_ADMIN_URL="$(pg_url "$PULSE_SOURCE_PG_PORT" flights)"
export PULSE_TEST_MASTER_KEY_FILE="$PULSE_MASTER_KEY_FILE"
export PULSE_TEST_SERVICES="$OPS/services.sh"     # `bash $PULSE_TEST_SERVICES stop source` stops the source alone
export PULSE_TEST_AMQP_MGMT_URL="http://127.0.0.1:$PULSE_AMQP_MGMT_PORT"   # management API (guest/guest)
# The fault suite (Tests/PulseRuntimeTests/Faults) appends one line per scenario here; printed at the end.
export PULSE_FAULT_REPORT="$PULSE_STATE_DIR/fault-report.txt"

cd "$PULSE_REPO"
mapfile -t build_args < <(swift_build_args)
step "swift build --build-tests ${build_args[*]}"
swift build --build-tests "${build_args[@]}"
# The worker executables the fault suite starts as child processes (kill -9, SIGTERM, restart).
PULSE_TEST_BIN_DIR="$(swift build --show-bin-path "${build_args[@]}")"
export PULSE_TEST_BIN_DIR
rm -f "$PULSE_FAULT_REPORT"
step "swift test ${build_args[*]} $*"
rc=0
swift test "${build_args[@]}" "$@" || rc=$?
step "swift test exited with $rc"
if [[ -s $PULSE_FAULT_REPORT ]]; then
    step "fault report ($PULSE_FAULT_REPORT):"
    cat "$PULSE_FAULT_REPORT" >&2
fi
exit "$rc"
