#!/usr/bin/env bash
# The dashboard on a big table (BENCHMARKS.md, "Dashboard on a big table").
#   bench/dashboard/run.sh fill  # migrate prefix $PREFIX and fill it (bench/dashboard/fill.sql)
#   bench/dashboard/run.sh time  # serve it and print the median ms of every page over $RUNS runs
# Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench), PREFIX (big_),
# BIN (target/release/orchestratum), RUNS (7), PORT (9099).
set -euo pipefail
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}
PREFIX=${PREFIX:-big_}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/orchestratum}
RUNS=${RUNS:-7}
PORT=${PORT:-9099}
here=$(cd "$(dirname "$0")" && pwd)

case ${1:-} in
fill)
    "$BIN" --database-url "$DATABASE_URL" --table-prefix "$PREFIX" migrate
    psql "$DATABASE_URL" -q -v commands="${PREFIX}commands" -v stats="${PREFIX}stats" \
        -v workflow_steps="${PREFIX}workflow_steps" -v workflow_edges="${PREFIX}workflow_edges" \
        -f "$here/fill.sql"
    ;;
time)
    q() { psql "$DATABASE_URL" -Atc "$1"; }
    mid=$(q "SELECT id FROM \"${PREFIX}commands\" ORDER BY id OFFSET 500000 LIMIT 1")
    failed=$(q "SELECT id FROM \"${PREFIX}commands\" WHERE is_failed ORDER BY id OFFSET 1000 LIMIT 1")
    deep=$(q "SELECT id FROM \"${PREFIX}commands\" ORDER BY id OFFSET 200000 LIMIT 1")
    # The cursor of a page ending at $deep: "k1" and the id's 128 bits reversed, in hex.
    cursor=$(python3 -c "import uuid,sys; n=uuid.UUID(sys.argv[1]).int; print('k1%032x' % int(format(n,'0128b')[::-1],2))" "$deep")
    from=$(date -u -d '-10 days' +%Y-%m-%dT%H:%M)
    until=$(date -u -d '-9 days' +%Y-%m-%dT%H:%M)
    "$BIN" --database-url "$DATABASE_URL" --table-prefix "$PREFIX" serve --bind "127.0.0.1:$PORT" \
        >/tmp/orchestratum-dashboard-bench.log 2>&1 &
    server=$!
    trap 'kill $server' EXIT
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/workers" && break; sleep 0.1; done
    pages=(
        "/" "/?hours=24" "/metrics" "/commands" "/commands?state=failed"
        "/commands?state=pending" "/commands?name=email.send" "/commands?name=report.yearly"
        "/commands?target=default" "/commands?target=gpu" "/commands?text=needle"
        "/commands?text=refused" "/commands?id=$mid"
        "/commands?since=$from&until=$until"
        "/commands?after=$cursor" "/commands/$mid" "/commands/$failed" "/workers" "/schedules"
        "/flow" "/workflows/00000000-0000-7000-8000-00000000f10a"
    )
    printf '%-60s %6s %s\n' page status median_ms
    for p in "${pages[@]}"; do
        curl -s -o /dev/null "http://127.0.0.1:$PORT$p" # warm-up
        times=()
        for _ in $(seq "$RUNS"); do
            times+=("$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT$p")")
        done
        status=$(printf '%s\n' "${times[@]}" | awk '{print $1}' | sort -u | tr '\n' ' ')
        median=$(printf '%s\n' "${times[@]}" | awk '{print $2 * 1000}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        printf '%-60s %6s %s\n' "${p:0:60}" "$status" "$median"
    done
    ;;
*)
    echo "usage: $0 fill|time" >&2
    exit 2
    ;;
esac
