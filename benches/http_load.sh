#!/usr/bin/env bash
# HTTP load of `medmap serve` with wrk (Debian), loopback only.
#   benches/http_load.sh [BASE_URL]
# Without BASE_URL it builds the release binary and starts two servers on a scratch
# copy of the bundled database (imported on first use): one as shipped, one with the
# search memo off (MEDMAP_SEARCH_CACHE_MB=0), so the engine's own cost is measured
# in the same run. Queries are the 235 hand-written realistic queries of
# tests/eval/names_truth.tsv (misspelt, Cyrillic, wrong layout, brands, multi-word),
# drawn with a Zipf-like skew (query i with weight 1/i) as real traffic is.
# Prints requests/s and latency percentiles per endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

BASE=${1:-}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_ready() { for _ in $(seq 1 900); do curl -sf "$1/readyz" >/dev/null && return 0; sleep 0.2; done; echo "not ready: $1" >&2; exit 1; }
if [ -z "$BASE" ]; then
    cargo build --release -q
    DB=${MEDMAP_BENCH_DB:-/tmp/medmap-bench.db}
    PORT=${PORT:-18099}
    ./target/release/medmap serve --db "sqlite://$DB" --addr "127.0.0.1:$PORT" --data-dir data >/tmp/medmap-bench.log 2>&1 &
    PIDS+=($!)
    BASE="http://127.0.0.1:$PORT"
    wait_ready "$BASE"
    MEDMAP_SEARCH_CACHE_MB=0 ./target/release/medmap serve --db "sqlite://$DB" --addr "127.0.0.1:$((PORT+1))" --data-dir data >/tmp/medmap-bench-nomemo.log 2>&1 &
    PIDS+=($!)
    NOMEMO="http://127.0.0.1:$((PORT+1))"
    wait_ready "$NOMEMO"
fi
case "$BASE" in http://127.*|http://localhost*) ;; *) echo "refusing non-loopback target $BASE" >&2; exit 2;; esac

QUERIES=$(mktemp)
tail -n +2 tests/eval/names_truth.tsv | cut -f1 >"$QUERIES"

# $1: path prefix the query is appended to.
query_script() {
cat <<LUA
local prefix = "$1"
local paths, weights, total = {}, {}, 0
local i = 0
for q in io.lines("$QUERIES") do
  i = i + 1
  paths[i] = wrk.format("GET", prefix .. q:gsub("([^%w])", function(c) return string.format("%%%02X", string.byte(c)) end))
  total = total + 1 / i
  weights[i] = total
end
math.randomseed(42)
request = function()
  local r, lo, hi = math.random() * total, 1, #weights
  while lo < hi do local mid = math.floor((lo + hi) / 2); if weights[mid] < r then lo = mid + 1 else hi = mid end end
  return paths[lo]
end
LUA
}
RESULT_LUA='
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end'
{ query_script "/api/v1/medications/search?limit=10&q="; echo "$RESULT_LUA"; } >/tmp/medmap-search.lua
{ query_script "/api/v1/medications/suggest?q="; echo "$RESULT_LUA"; } >/tmp/medmap-suggest.lua

# Availability around real bundled pharmacies (London, Manchester, Leeds, Birmingham, Helsinki, Bristol).
{ cat <<'LUA'
local pts = {{51.5074,-0.1278},{53.4808,-2.2426},{53.8008,-1.5491},{52.4862,-1.8904},{60.1699,24.9384},{51.4545,-2.5879}}
local qs = {"ibuprofen","paracetamol","amoxicillin","metformin","omeprazole","atorvastatin"}
local paths = {}
for i = 1, 36 do
  local p = pts[(i % #pts) + 1]; local q = qs[(i % #qs) + 1]
  paths[i] = wrk.format("GET", string.format("/api/v1/availability?q=%s&lat=%f&lon=%f&radius_km=10&open_now=false&limit=20", q, p[1], p[2]))
end
local n = 0
request = function() n = n + 1; return paths[(n % #paths) + 1] end
LUA
echo "$RESULT_LUA"; } >/tmp/medmap-avail.lua

run() { # name base script
    printf '%-16s ' "$1"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$3" "$2" | grep RESULT
}
{ echo "$RESULT_LUA" >/tmp/medmap-healthz.lua; run healthz "$BASE/healthz" /tmp/medmap-healthz.lua; }
run search "$BASE" /tmp/medmap-search.lua
run suggest "$BASE" /tmp/medmap-suggest.lua
run availability "$BASE" /tmp/medmap-avail.lua
# HSDS list endpoints (social services): a plain page, and a search with filters.
run hsds-services "$BASE/api/v1/hsds/services?per_page=50" /tmp/medmap-healthz.lua
run hsds-search "$BASE/api/v1/hsds/services?search=food&lat=37.56&lon=-122.32&radius_km=50&per_page=20" /tmp/medmap-healthz.lua
run hsds-sal "$BASE/api/v1/hsds/service_at_locations?per_page=50" /tmp/medmap-healthz.lua
if [ -n "${NOMEMO:-}" ]; then
    run search-nomemo "$NOMEMO" /tmp/medmap-search.lua
    run suggest-nomemo "$NOMEMO" /tmp/medmap-suggest.lua
fi
rm -f "$QUERIES"
