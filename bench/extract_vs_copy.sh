#!/usr/bin/env bash
# Extraction speed: Pulse's extractor (COPY → zstd CSV parts in the object store, through the gateway and RabbitMQ)
# against the reference, psql's \copy of the same rows to /dev/null, in one run. Prints both times and the ratio.
# Needs a running stack (ops/up.sh). Usage: bench/extract_vs_copy.sh [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/../ops/lib.sh"
rounds=${1:-3}
gateway="http://127.0.0.1:$PULSE_GATEWAY_PORT"
tenant="bench-$(date +%s)"
view=pulse_views.flight_features

password=$(cat "$PULSE_STATE_DIR/source-reader.password")
ds=$(curl -fsS -H "Pulse-Tenant: $tenant" -H 'Content-Type: application/json' "$gateway/datasources" -d @- <<JSON | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
{"name":"bench","kind":"postgres","allowlist":["$view","pulse_views.flight_labels"],
 "connection":{"host":"127.0.0.1","port":$PULSE_SOURCE_PG_PORT,"database":"flights","user":"pulse_reader","password":"$password"}}
JSON
)

now() { python3 -c 'import time; print(time.monotonic())'; }
pulse_total=0; copy_total=0
for round in $(seq "$rounds"); do
    t0=$(now)
    rows=$(curl -fsS -H "Pulse-Tenant: $tenant" -H 'Content-Type: application/json' "$gateway/extractions" -d "{\"dataSourceId\":\"$ds\",\"view\":\"$view\",\"cursorColumn\":\"scheduled_at\",\"keyColumn\":\"flight_id\",\"join\":{\"view\":\"pulse_views.flight_labels\",\"key\":\"flight_id\",\"columns\":[\"is_late\"]}}" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["rowCount"])')
    t1=$(now)
    psql "$PULSE_SOURCE_URL" -X -q -c "\\copy (SELECT f.*, l.is_late FROM $view f LEFT JOIN pulse_views.flight_labels l USING (flight_id) ORDER BY f.scheduled_at, f.flight_id) to /dev/null with (format csv)"
    t2=$(now)
    pulse_total=$(python3 -c "print($pulse_total + $t1 - $t0)"); copy_total=$(python3 -c "print($copy_total + $t2 - $t1)")
    printf 'round %d: %s rows  pulse %.2f s  psql \\copy %.2f s\n' "$round" "$rows" "$(python3 -c "print($t1-$t0)")" "$(python3 -c "print($t2-$t1)")"
done
python3 -c "p=$pulse_total/$rounds; c=$copy_total/$rounds; print(f'mean: pulse {p:.2f} s, psql \\\\copy {c:.2f} s, ratio pulse/reference {p/c:.2f}')"
