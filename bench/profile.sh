#!/usr/bin/env bash
# Where the time of a drain goes: CPU seconds of the whole machine (on an idle machine, the
# PostgreSQL server plus the benchmark) versus the benchmark (worker) process, and the claim / outcome-write round trips the worker traced.
#
#   bench/profile.sh [N] [C]        (DATABASE_URL defaults to the local `bench` database)
set -euo pipefail
N=${1:-20000}
C=${2:-100}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/target/release/orchestratum-bench"
[[ -x "$BIN" ]] || cargo build --release -q -p orchestratum-bench --manifest-path "$ROOT/Cargo.toml"

ticks() { # busy CPU ticks of the whole machine (user + nice + system + irq + softirq)
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}

HZ=$(getconf CLK_TCK)
TRACE=$(mktemp)
before=$(ticks)
/usr/bin/time -f "bench_cpu_s=%U+%S wall_s=%e" -o "$TRACE.time" \
    env RUST_LOG=orchestratum=trace "$BIN" drain -n "$N" -c "$C" 2>"$TRACE" | grep -E "commands_per_sec|seconds"
after=$(ticks)
# Run it on an otherwise idle machine: everything busy but the benchmark is then the server.
echo "machine_busy_cpu_s=$(echo "scale=2; ($after - $before) / $HZ" | bc)  $(cat "$TRACE.time")"
# Sizes and durations of the claims and outcome writes the worker traced.
awk '
  /claimed/ { c++; for (i = 1; i <= NF; i++) { if ($i ~ /^count=/) { split($i, a, "="); cn += a[2] } if ($i ~ /^elapsed=/) { v = $i; sub(/elapsed=/, "", v); ct += ms(v) } } }
  /outcomes written/ { w++; for (i = 1; i <= NF; i++) { if ($i ~ /^count=/) { split($i, a, "="); wn += a[2] } if ($i ~ /^elapsed=/) { v = $i; sub(/elapsed=/, "", v); wt += ms(v) } } }
  function ms(v) { if (v ~ /µs$/) { sub(/µs$/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 } if (v ~ /s$/) { sub(/s$/, "", v); return v * 1000 } return 0 }
  END {
    if (c) printf "claims: %d, %.0f rows each, %.2f ms each, %.0f ms in all\n", c, cn / c, ct / c, ct
    if (w) printf "outcome writes: %d, %.0f rows each, %.2f ms each, %.0f ms in all\n", w, wn / w, wt / w, wt
  }' <(sed 's/\x1b\[[0-9;]*m//g' "$TRACE")
rm -f "$TRACE" "$TRACE.time"
