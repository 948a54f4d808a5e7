#!/usr/bin/env bash
# Orchestratum's drain against graphile-worker's batched drain of the same count on the same
# PostgreSQL, interleaved pair by pair (graphile, orchestratum, graphile, …), medians and ratio.
#
#   bench/vs-graphile.sh [-n N] [-c C] [-g GC] [-r PAIRS]
#
#   -n N       commands (jobs) to drain (default 20000)
#   -c C       Orchestratum's max_command_pull (default 100, the reference default)
#   -g GC      graphile-worker's concurrentJobs (default 24, upstream perfTest's and the
#              peer baseline's shape)
#   -r PAIRS   interleaved pairs (default 3)
#
# Environment: BIN (default target/release/orchestratum-bench, built if missing),
# ORCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench), graphile's
# DATABASE_URL as in bench/graphile/run.sh. The ratio is Orchestratum's commands/s (first claim
# to last completion, database clock) over graphile-worker's raw jobs/s (its `--once` process
# from start to exit); the ratio over its upstream formula (startup subtracted) is printed too.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
N=20000 C=100 GC=24 PAIRS=3
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N="$2"; shift 2 ;;
    -c) C="$2"; shift 2 ;;
    -g) GC="$2"; shift 2 ;;
    -r) PAIRS="$2"; shift 2 ;;
    -h|--help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/orchestratum-bench}"
[ -x "$BIN" ] || cargo build --release -q -p orchestratum-bench --manifest-path "$ROOT/Cargo.toml"
ORCH_URL="${ORCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}"

field() { sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p" | head -n1; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

GW="" UP="" OR="" RATIOS=""
echo "N=$N; Orchestratum C=$C; graphile-worker C=$GC; $PAIRS pairs; loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((i = 1; i <= PAIRS; i++)); do
  g=$("$HERE/graphile/run.sh" --json -n "$N" -c "$GC" -r 1 drain 2>/dev/null)
  graw=$(echo "$g" | field jobs_per_s_median)
  gup=$(echo "$g" | field upstream_formula_median)
  o=$("$BIN" --database-url "$ORCH_URL" --json drain -n "$N" -c "$C")
  orate=$(echo "$o" | field commands_per_sec | awk '{ printf "%.0f", $1 }')
  r=$(awk -v a="$orate" -v b="$graw" 'BEGIN { printf "%.3f", a / b }')
  GW+=" $graw" UP+=" $gup" OR+=" $orate" RATIOS+=" $r"
  echo "pair $i: graphile-worker $graw jobs/s (upstream formula $gup), orchestratum $orate /s, ratio $r; loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
gm=$(echo $GW | median) um=$(echo $UP | median) om=$(echo $OR | median)
echo "graphile-worker median $gm jobs/s (raw:$GW; upstream formula median $um)"
echo "orchestratum    median $om /s (raw:$OR)"
echo "ratio of medians $(awk -v a="$om" -v b="$gm" 'BEGIN { printf "%.2f", a / b }') (pair ratios:$RATIOS; over the upstream formula $(awk -v a="$om" -v b="$um" 'BEGIN { printf "%.2f", a / b }'))"
