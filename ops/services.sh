#!/usr/bin/env bash
# ops/services.sh start|stop|status [metadata|source|rabbitmq]
# RabbitMQ and two PostgreSQL clusters (metadata, source) from the Debian packages, under $PULSE_STATE_DIR,
# on loopback only. `start` is a no-op for what already runs; stale pid files from a crash do not block it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RABBIT_DIR="$PULSE_STATE_DIR/rabbitmq"
META_DIR="$PULSE_STATE_DIR/postgres"
SOURCE_DIR="$PULSE_STATE_DIR/source"

# ensure_reachable DIR USER: USER must be able to reach DIR. A checkout under /root (mode 700) is not, so its
# ancestors get the execute bit for others (traverse only: no listing), with a warning.
ensure_reachable() {
    local dir=$1 user=$2 d
    as_user "$user" test -x "$dir" && return 0
    d=$dir
    while [[ $d != / ]]; do
        d=$(dirname "$d")
        if [[ $(stat -c %A "$d") != *[xt] ]]; then
            warn "chmod o+x $d so that user $user can reach $dir"
            chmod o+x "$d"
        fi
    done
    as_user "$user" test -x "$dir" || die "user $user cannot reach $dir; set PULSE_STATE_DIR"
}

# --- PostgreSQL ----------------------------------------------------------------------------------

# pg_running DIR: true when the postmaster recorded in DIR/data/postmaster.pid is alive.
pg_running() {
    local pidfile="$1/data/postmaster.pid" pid
    [[ -f $pidfile ]] || return 1
    pid=$(head -n 1 "$pidfile")
    # After a reboot the pid may belong to anything: it must be a postgres serving this very directory.
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
    [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *postgres*" -D $1/data "* ]]
}

# pg_hba KIND: the access rules. Metadata: trust on loopback. Source: a password for every role except
# the local superuser `pulse`, so the reader role really authenticates.
pg_hba() {
    echo "local all all trust"
    if [[ $1 == source ]]; then
        echo "host all pulse 127.0.0.1/32 trust"
        echo "host all all 127.0.0.1/32 scram-sha-256"
    else
        echo "host all all 127.0.0.1/32 trust"
    fi
}

# pg_start NAME DIR PORT KIND
pg_start() {
    local name=$1 dir=$2 port=$3 kind=$4
    if pg_running "$dir"; then
        step "$name PostgreSQL already running on 127.0.0.1:$port"
        return 0
    fi
    port_open "$port" && die "port $port is taken by another process; set the PULSE_*_PORT variables"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    ensure_reachable "$dir" postgres
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        step "initdb $name cluster in $dir/data"
        rm -rf "$dir/data"
        as_user postgres "$PULSE_PG_BIN/initdb" -D "$dir/data" -U pulse -A trust -E UTF8 --locale=C.UTF-8 \
            --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    pg_hba "$kind" >"$dir/data/pg_hba.conf"
    chown postgres:postgres "$dir/data/pg_hba.conf"
    # A crash or reboot leaves postmaster.pid behind; it is stale since pg_running said no.
    rm -f "$dir/data/postmaster.pid" "$dir/.s.PGSQL.$port.lock"
    step "starting $name PostgreSQL on 127.0.0.1:$port"
    local attempt
    for attempt in 1 2 3 4 5; do
        # Orphaned backends of a killed postmaster can hold its shared memory for a moment: retry.
        if as_user postgres "$PULSE_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null; then
            return 0
        fi
        sleep 1
    done
    tail -n 20 "$dir/server.log" >&2
    die "$name PostgreSQL did not start"
}

pg_stop() {
    local name=$1 dir=$2
    if pg_running "$dir"; then
        step "stopping $name PostgreSQL"
        as_user postgres "$PULSE_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
}

pg_status() {
    local name=$1 dir=$2 port=$3
    if pg_running "$dir"; then echo "$name postgresql: running on 127.0.0.1:$port"; else echo "$name postgresql: stopped"; return 1; fi
}

# --- RabbitMQ ------------------------------------------------------------------------------------

# Every path the broker writes lives under $RABBIT_DIR (the Debian wrapper runs it as user rabbitmq).
rabbit_env() {
    export RABBITMQ_NODENAME="$PULSE_RABBIT_NODE"
    export RABBITMQ_NODE_PORT="$PULSE_AMQP_PORT"
    export RABBITMQ_DIST_PORT="$PULSE_AMQP_DIST_PORT"
    export RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia"
    export RABBITMQ_LOG_BASE="$RABBIT_DIR/log"
    export RABBITMQ_FEATURE_FLAGS_FILE="$RABBIT_DIR/feature_flags"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq"          # without the .conf suffix
    export RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_DIR/advanced.config"
    export RABBITMQ_CONF_ENV_FILE="$RABBIT_DIR/rabbitmq-env.conf"
    export RABBITMQ_PID_FILE="$RABBIT_DIR/rabbitmq.pid"
    # Erlang distribution on loopback too (epmd is shared by every node on the machine).
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    export ERL_EPMD_ADDRESS=127.0.0.1
}

rabbitctl() { rabbit_env; rabbitmqctl -q -n "$PULSE_RABBIT_NODE" "$@"; }

rabbit_running() { port_open "$PULSE_AMQP_PORT" && rabbitctl ping >/dev/null 2>&1; }

rabbit_port_closed() { ! port_open "$PULSE_AMQP_PORT"; }

rabbit_start() {
    if rabbit_running; then
        step "RabbitMQ already running: $PULSE_RABBIT_NODE on 127.0.0.1:$PULSE_AMQP_PORT"
        return 0
    fi
    local p
    for p in "$PULSE_AMQP_PORT" "$PULSE_AMQP_MGMT_PORT" "$PULSE_AMQP_DIST_PORT"; do
        port_open "$p" && die "port $p is taken by another process; set the PULSE_AMQP_* variables"
    done
    mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
    echo '[rabbitmq_management].' >"$RABBIT_DIR/enabled_plugins"
    cat >"$RABBIT_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$PULSE_AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $PULSE_AMQP_MGMT_PORT
# 6 hours: a long training may hold its delivery unacknowledged (3.10's default is 30 minutes).
consumer_timeout = 21600000
# Queue figures in the management API (ready, unacknowledged) refresh every second instead of every 5 s:
# the fault suite waits on them to say a stack has drained.
collect_statistics_interval = 1000
EOF
    : >"$RABBIT_DIR/rabbitmq-env.conf"
    rm -f "$RABBIT_DIR/rabbitmq.pid"     # stale after a crash; the broker writes it again
    chown -R rabbitmq:rabbitmq "$RABBIT_DIR"
    ensure_reachable "$RABBIT_DIR" rabbitmq

    step "starting RabbitMQ $PULSE_RABBIT_NODE on 127.0.0.1:$PULSE_AMQP_PORT (management $PULSE_AMQP_MGMT_PORT)"
    rabbit_env
    # Detached from our terminal and pipes, so a CI runner does not wait on the broker's output.
    setsid rabbitmq-server </dev/null >"$RABBIT_DIR/server.out" 2>&1 &
    local server=$! deadline=$((SECONDS + 120)) rc
    while true; do
        rc=0
        rabbitctl await_startup --timeout 30 >/dev/null 2>&1 || rc=$?
        [[ $rc == 0 ]] && break
        if ! kill -0 "$server" 2>/dev/null; then
            tail -n 30 "$RABBIT_DIR/server.out" >&2
            die "RabbitMQ exited during start-up (log: $RABBIT_DIR/log)"
        fi
        ((SECONDS < deadline)) || die "RabbitMQ did not start within 120 s (log: $RABBIT_DIR/log)"
        sleep 0.5    # exit 69: the node has not registered with epmd yet
    done
    step "RabbitMQ ready"
}

rabbit_stop() {
    if rabbit_running; then
        step "stopping RabbitMQ $PULSE_RABBIT_NODE"
        rabbitctl stop >/dev/null
        wait_until 60 "RabbitMQ to stop" rabbit_port_closed || die "RabbitMQ did not stop"
    fi
}

rabbit_status() {
    if rabbit_running; then
        echo "rabbitmq: running ($PULSE_RABBIT_NODE, amqp 127.0.0.1:$PULSE_AMQP_PORT, management http://127.0.0.1:$PULSE_AMQP_MGMT_PORT)"
    else
        echo "rabbitmq: stopped"
        return 1
    fi
}

# --- main ----------------------------------------------------------------------------------------

ensure_database() {   # ensure_database PORT NAME
    if [[ -z $(psql_admin "$1" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$2'") ]]; then
        step "creating database $2 on port $1"
        psql_admin "$1" postgres -c "CREATE DATABASE \"$2\" OWNER pulse"
    fi
}

# ops/services.sh start|stop|status [metadata|source|rabbitmq]: all three services, or just the one named
# (a test can stop the source cluster alone to simulate an unreachable source).
what=${2:-all}
want() { [[ $what == all || $what == "$1" ]]; }
case "$what" in all | metadata | source | rabbitmq) ;; *) echo "usage: $0 start|stop|status [metadata|source|rabbitmq]" >&2; exit 64 ;; esac

case "${1:-}" in
    start)
        [[ $(id -u) == 0 ]] || die "run as root (the services run as users postgres and rabbitmq)"
        if want metadata; then
            pg_start metadata "$META_DIR" "$PULSE_PG_PORT" metadata
            ensure_database "$PULSE_PG_PORT" pulse
        fi
        if want source; then pg_start source "$SOURCE_DIR" "$PULSE_SOURCE_PG_PORT" source; fi
        if want rabbitmq; then rabbit_start; fi
        mkdir -p "$PULSE_OBJECT_STORE"
        ;;
    stop)
        if want rabbitmq; then rabbit_stop; fi
        if want source; then pg_stop source "$SOURCE_DIR"; fi
        if want metadata; then pg_stop metadata "$META_DIR"; fi
        ;;
    status)
        rc=0
        if want metadata; then pg_status metadata "$META_DIR" "$PULSE_PG_PORT" || rc=1; fi
        if want source; then pg_status source "$SOURCE_DIR" "$PULSE_SOURCE_PG_PORT" || rc=1; fi
        if want rabbitmq; then rabbit_status || rc=1; fi
        exit $rc
        ;;
    *)
        echo "usage: $0 start|stop|status [metadata|source|rabbitmq]" >&2
        exit 64
        ;;
esac
