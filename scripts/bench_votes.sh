#!/usr/bin/env bash
# Load benchmark of the vote service on loopback: every request is a new reader (no cookie),
# the rate limit is off, and at the end the votes stored are compared with the votes accepted.
#
#   bash scripts/bench_votes.sh [--seconds N] [--connections N] [--threads N]
#
# Needs wrk (apt-get install wrk). Prints votes/s, latency percentiles and accepted == stored.
set -euo pipefail

seconds=10
connections=64
threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
top=$(git rev-parse --show-toplevel)
cd "$top"
cargo build --release --quiet
birge="$top/target/release/birge"

tmp=$(mktemp -d)
service_pid=""
cleanup() {
  [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/site/content/polls"
printf 'title: Bench\nbase_url: http://127.0.0.1\n' > "$tmp/site/site.yaml"
printf 'question: Bench?\noptions: [a, b, c]\n' > "$tmp/site/content/polls/bench.yaml"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$birge" polls serve --root "$tmp/site" --db "$tmp/votes.sqlite" --listen "127.0.0.1:$port" --rate-limit 0 2> "$tmp/service.log" &
service_pid=$!
for _ in $(seq 50); do
  grep -q "listening" "$tmp/service.log" 2>/dev/null && break
  sleep 0.1
done

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
    io.write(string.format("p%d %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("votes/s %.0f\n", accepted / (summary.duration / 1e6)))
end
LUA

wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$tmp/vote.lua" "http://127.0.0.1:$port/api/polls/bench/vote" | tee "$tmp/wrk.out"
kill -TERM "$service_pid"
wait "$service_pid" 2>/dev/null || true
service_pid=""

accepted=$(awk '/^accepted/ {print $2}' "$tmp/wrk.out")
stored=$("$birge" polls export --root "$tmp/site" --db "$tmp/votes.sqlite" | python3 -c 'import json,sys; print(json.load(sys.stdin)["polls"].get("bench", {}).get("total", 0))')
# wrk stops with up to one request in flight per connection: those votes may be stored
# although wrk never read their answers. Every accepted vote must be stored.
in_flight=$((stored - accepted))
echo "accepted $accepted, stored $stored (cut off in flight when wrk stopped: $in_flight, at most $connections)"
if [ "$in_flight" -ge 0 ] && [ "$in_flight" -le "$connections" ]; then
  echo "ok: every accepted vote is stored"
else
  echo "MISMATCH: accepted votes missing from the store"; exit 1
fi
