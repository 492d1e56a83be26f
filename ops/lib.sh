# shellcheck shell=bash
# Sourced by every ops/ script: defaults, logging helpers and the URLs the Pulse processes read.
# Every variable can be overridden from the environment (e.g. to run a second stack on other ports).

PULSE_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

: "${PULSE_STATE_DIR:=$PULSE_REPO/.pulse}"
: "${PULSE_PG_PORT:=55433}"             # metadata cluster (database `pulse`, superuser `pulse`, trust on loopback)
: "${PULSE_SOURCE_PG_PORT:=55434}"      # source cluster (database `flights`, role `pulse_reader` with a password)
: "${PULSE_AMQP_PORT:=5673}"
: "${PULSE_AMQP_DIST_PORT:=25673}"
: "${PULSE_AMQP_MGMT_PORT:=15673}"
: "${PULSE_RABBIT_NODE:=pulse@localhost}"
: "${PULSE_GATEWAY_PORT:=18080}"
: "${PULSE_PG_BIN:=/usr/lib/postgresql/15/bin}"
export PULSE_REPO PULSE_STATE_DIR PULSE_PG_PORT PULSE_SOURCE_PG_PORT PULSE_AMQP_PORT PULSE_AMQP_DIST_PORT \
    PULSE_AMQP_MGMT_PORT PULSE_RABBIT_NODE PULSE_GATEWAY_PORT PULSE_PG_BIN

# --- logging -------------------------------------------------------------------------------------

# Seconds are counted from the first script of a run (ops/test.sh calls the others).
: "${PULSE_T0:=$(date +%s)}"
export PULSE_T0

# step "message": one readable progress line on stderr.
step() { printf '[pulse %4ss] %s\n' "$(($(date +%s) - PULSE_T0))" "$*" >&2; }
# warn "message": a warning on stderr.
warn() { printf '[pulse] warning: %s\n' "$*" >&2; }
# die "message": an error on stderr, then exit 1.
die() { printf '[pulse] error: %s\n' "$*" >&2; exit 1; }

# --- secrets -------------------------------------------------------------------------------------

# random_hex N: N random bytes as hex (openssl when present, Python otherwise).
random_hex() {
    if command -v openssl >/dev/null 2>&1; then
        openssl rand -hex "$1"
    else
        python3 -c "import secrets,sys; print(secrets.token_hex(int(sys.argv[1])))" "$1"
    fi
}

# ensure_secret FILE BYTES: create FILE (mode 600) holding BYTES random bytes as hex, once.
ensure_secret() {
    local file=$1 bytes=$2
    [[ -s $file ]] && return 0
    (umask 077 && random_hex "$bytes" >"$file.tmp" && mv "$file.tmp" "$file")
}

mkdir -p "$PULSE_STATE_DIR"
PULSE_STATE_DIR="$(cd "$PULSE_STATE_DIR" && pwd)"    # absolute: it is matched against process command lines
ensure_secret "$PULSE_STATE_DIR/master.key" 32
ensure_secret "$PULSE_STATE_DIR/source-reader.password" 16
ensure_secret "$PULSE_STATE_DIR/admin.token" 24          # the gateway's operator endpoints (/admin/dlq)

# --- what the processes read ---------------------------------------------------------------------

# pg_url PORT DB [USER]: a libpq URI on loopback (trust auth, no password).
pg_url() { printf 'postgresql://%s@127.0.0.1:%s/%s' "${3:-pulse}" "$1" "$2"; }

# source_reader_url DB: the read-only role's URI to a database of the source cluster.
source_reader_url() {
    printf 'postgresql://pulse_reader:%s@127.0.0.1:%s/%s' \
        "$(cat "$PULSE_STATE_DIR/source-reader.password")" "$PULSE_SOURCE_PG_PORT" "$1"
}

export PULSE_DATABASE_URL="$(pg_url "$PULSE_PG_PORT" pulse)"
export PULSE_AMQP_URL="amqp://guest:guest@127.0.0.1:$PULSE_AMQP_PORT/%2F"
export PULSE_OBJECT_STORE="$PULSE_STATE_DIR/objects"
export PULSE_MASTER_KEY_FILE="$PULSE_STATE_DIR/master.key"
export PULSE_TOPOLOGY="$PULSE_REPO/Topology/pulse.json"
export PULSE_ADMIN_TOKEN="$(cat "$PULSE_STATE_DIR/admin.token")"
export PULSE_SOURCE_URL="$(source_reader_url flights)"
export PULSE_SOURCE_ADMIN_URL="$(pg_url "$PULSE_SOURCE_PG_PORT" flights)"
# A local stack looks for due monitoring schedules every 5 s (the product's default is 30 s).
export PULSE_SCHEDULER_SECONDS="${PULSE_SCHEDULER_SECONDS:-5}"

# --- small helpers -------------------------------------------------------------------------------

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# psql_admin PORT DB ARGS...: psql as the superuser `pulse`, quiet, stopping at the first error.
psql_admin() {
    local port=$1 db=$2
    shift 2
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U pulse -d "$db" "$@"
}

# as_user USER CMD...: run a command as a system user (initdb and pg_ctl refuse root).
as_user() { local u=$1; shift; runuser -u "$u" -- "$@"; }

# wait_until SECONDS DESCRIPTION CMD...: poll CMD every 0.2 s until it succeeds or the deadline passes.
wait_until() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@"; do
        ((SECONDS < deadline)) || { warn "timed out waiting for $what"; return 1; }
        sleep 0.2
    done
}

# swift_build_args: `--build-path $PULSE_BUILD_PATH` when set (to keep several build trees apart).
swift_build_args() { [[ -n ${PULSE_BUILD_PATH:-} ]] && printf '%s\n' --build-path "$PULSE_BUILD_PATH"; return 0; }

# --- the Pulse processes (ops/up.sh, ops/down.sh) ------------------------------------------------

PULSE_RUN_DIR="$PULSE_STATE_DIR/run"
PULSE_LOG_DIR="$PULSE_STATE_DIR/logs"
PULSE_WORKERS=(pulse-extractor pulse-snapshotter pulse-trainer pulse-evaluator pulse-promoter pulse-scorer pulse-drift-monitor)

# proc_pid NAME: the pid in NAME's pid file when that process is still NAME (pids get reused).
proc_pid() {
    local pid
    pid=$(cat "$PULSE_RUN_DIR/$1.pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    # argv[0] is the binary (argv[1] when it is a script run by an interpreter)
    tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 2 | grep -q "/$1\$" || return 1
    echo "$pid"
}

# proc_alive PID: true while PID runs (a zombie waiting for its parent counts as gone).
proc_alive() { [[ -r /proc/$1/stat && $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

# procs_stop NAME...: SIGTERM to all (each drains its in-flight work), SIGKILL to what still runs after 30 s.
procs_stop() {
    local name pid pids=()
    for name in "$@"; do
        if pid=$(proc_pid "$name"); then
            step "stopping $name (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
        rm -f "$PULSE_RUN_DIR/$name.pid"
    done
    local deadline=$((SECONDS + 30))
    for pid in "${pids[@]}"; do
        while proc_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        if proc_alive "$pid"; then
            warn "pid $pid did not stop within 30 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

# proc_start BIN_DIR NAME HTTP_PORT: start NAME in the background, detached, log in $PULSE_LOG_DIR/NAME.log.
proc_start() {
    local bin=$1/$2 name=$2 port=$3
    [[ -x $bin ]] || die "$bin is missing (did swift build -c release succeed?)"
    mkdir -p "$PULSE_RUN_DIR" "$PULSE_LOG_DIR"
    PULSE_HTTP_PORT=$port setsid "$bin" </dev/null >>"$PULSE_LOG_DIR/$name.log" 2>&1 &
    echo $! >"$PULSE_RUN_DIR/$name.pid"
    step "started $name (pid $!, http 127.0.0.1:$port, log $PULSE_LOG_DIR/$name.log)"
}
