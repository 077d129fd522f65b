#!/usr/bin/env bash
# Load benchmark of the vote service on loopback, for each store: SQLite with one process,
# PostgreSQL with one process and with two processes sharing one database. Every request
# is a new reader (no cookie), the rate limit and the poll quota are off, and after each
# run the votes stored are compared with the votes acknowledged.
#
#   bash scripts/bench_votes.sh [--seconds N] [--connections N] [--threads N] [--only MODE]
#
# MODE is sqlite, pg1 or pg2 (default: all three). PostgreSQL runs use BIRGE_TEST_POSTGRES
# when it is set, else a throwaway server from scripts/with-postgres.sh, with fsync turned
# back on so that its commits are as durable as SQLite's (BENCH_PG_FSYNC=off leaves it off,
# to tell the cost of the disk from the rest). Needs wrk (apt-get install wrk).
# Prints, per mode, accepted votes/s, p50/p99 latency (for two processes: the worse of
# the two) and acknowledged vs stored; exits 1 when an acknowledged vote is missing.
set -euo pipefail

seconds=10
connections=64
threads=2
only="sqlite pg1 pg2"
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

top=$(git rev-parse --show-toplevel)
cd "$top"
if [[ "$only" == *pg* ]] && [ -z "${BIRGE_TEST_POSTGRES:-}" ]; then
  exec bash scripts/with-postgres.sh bash "$0" "${args[@]}"
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
birge="$top/target/release/birge"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/site/content/polls"
printf 'title: Bench\nbase_url: http://127.0.0.1\n' > "$tmp/site/site.yaml"
printf 'question: Bench?\noptions: [a, b, c]\n' > "$tmp/site/content/polls/bench.yaml"

cat > "$tmp/vote.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"option": 1}'
wrk.headers["Content-Type"] = "application/json"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; other = 0 end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local accepted, refused = 0, 0
  for _, t in ipairs(threads) do
    accepted = accepted + t:get("ok")
    refused = refused + t:get("other")
  end
  io.write(string.format("accepted %d\nrefused %d\n", accepted, refused))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("p%d %.2f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
end
LUA

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts a service on `db`, logging to `log`; appends its pid to `pids`, its port to `ports`.
start_service() {
  local db=$1 log=$2 port
  port=$(free_port)
  "$birge" polls serve --root "$tmp/site" --db "$db" --listen "127.0.0.1:$port" \
    --rate-limit 0 --poll-quota 0 > /dev/null 2> "$log" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q "listening" "$log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "listening" "$log" || { cat "$log" >&2; exit 1; }
  ports+=("$port")
}

psql_admin() {
  psql -X -q -v ON_ERROR_STOP=1 "$BIRGE_TEST_POSTGRES" -c "$1" >/dev/null
}

if [[ "$only" == *pg* ]]; then
  psql_admin "ALTER SYSTEM SET fsync = ${BENCH_PG_FSYNC:-on}"
  psql_admin "SELECT pg_reload_conf()"
fi

failed=0
summary=()
for mode in $only; do
  case "$mode" in
    sqlite) db="$tmp/votes.sqlite"; processes=1 ;;
    pg1|pg2)
      name="birge_bench_${mode}_$$"
      psql_admin "CREATE DATABASE $name"
      db="${BIRGE_TEST_POSTGRES%/*}/$name"
      processes=${mode#pg} ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  ports=()
  pids=()
  for n in $(seq "$processes"); do
    start_service "$db" "$tmp/$mode-$n.log"
  done
  # One wrk per process, the connections and threads shared out between them.
  each_connections=$((connections / processes))
  each_threads=$(( threads / processes > 0 ? threads / processes : 1 ))
  wrks=()
  for n in $(seq "$processes"); do
    wrk -t"$each_threads" -c"$each_connections" -d"${seconds}s" -s "$tmp/vote.lua" \
      "http://127.0.0.1:${ports[$((n - 1))]}/api/polls/bench/vote" > "$tmp/$mode-wrk-$n.out" &
    wrks+=($!)
  done
  for pid in "${wrks[@]}"; do wait "$pid"; done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()

  accepted=$(cat "$tmp"/$mode-wrk-*.out | awk '/^accepted/ {s += $2} END {print s}')
  refused=$(cat "$tmp"/$mode-wrk-*.out | awk '/^refused/ {s += $2} END {print s}')
  duration=$(cat "$tmp"/$mode-wrk-*.out | awk '/^seconds/ {if ($2 > m) m = $2} END {print m}')
  p50=$(cat "$tmp"/$mode-wrk-*.out | awk '/^p50/ {if ($2 > m) m = $2} END {print m}')
  p99=$(cat "$tmp"/$mode-wrk-*.out | awk '/^p99/ {if ($2 > m) m = $2} END {print m}')
  rate=$(awk -v a="$accepted" -v d="$duration" 'BEGIN {printf "%.0f", a / d}')
  stored=$("$birge" polls export --root "$tmp/site" --db "$db" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["polls"].get("bench", {}).get("total", 0))')
  # wrk stops with up to one request in flight per connection: those votes may be stored
  # although wrk never read their answers. Every acknowledged vote must be stored.
  in_flight=$((stored - accepted))
  if [ "$in_flight" -ge 0 ] && [ "$in_flight" -le "$connections" ]; then
    verdict="ok"
  else
    verdict="MISMATCH"
    failed=1
  fi
  line=$(printf '%-7s %d process(es): %6s votes/s, p50 %s ms, p99 %s ms, acknowledged %s, stored %s (%s cut off in flight), refused %s: %s' \
    "$mode" "$processes" "$rate" "$p50" "$p99" "$accepted" "$stored" "$in_flight" "$refused" "$verdict")
  echo "$line"
  summary+=("$line")
  [[ "$mode" == pg* ]] && psql_admin "DROP DATABASE $name WITH (FORCE)"
done

echo
echo "$connections connections, $threads wrk threads, ${seconds} s per run, $(nproc) cores"
printf '%s\n' "${summary[@]}"
exit "$failed"
