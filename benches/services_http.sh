#!/usr/bin/env bash
# HTTP load of the HSDS services search over the synthetic national directory, with wrk
# (Debian), loopback only.
#   benches/services_http.sh [BASE_URL [BASE_URL_MEMO_OFF]]
# Without BASE_URL it builds the release binary, imports the synthetic directory
# (`medmap import synthetic-services --seed 42`; SERVICES/LOCATIONS, default 200000/120000)
# into a fresh SQLite database, starts `medmap serve` on a free port with it (the server adds
# the bundled data on its first start) and a second server on the same database with the
# answer memo off (MEDMAP_SEARCH_CACHE_MB=0), and waits for /readyz. The first measures
# what clients see (a query asked again within the minute is served from the memo), the
# second the search engine itself, every request computed. Queries rotate over the 40
# gen: queries of tests/eval/services_truth.tsv; the radius runs rotate over real
# cities of the generator (10 km). Prints requests/s and latency percentiles per run.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
THREADS=${THREADS:-1}
CONNS=${CONNS:-8}
SERVICES=${SERVICES:-200000}
LOCATIONS=${LOCATIONS:-120000}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

BASE=${1:-}
PIDS=()
WORK=$(mktemp -d)
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
wait_ready() {
    for _ in $(seq 1 3000); do
        curl -sf "$1/readyz" >/dev/null && return 0
        if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then echo "server exited; log:" >&2; cat "$WORK/serve.log" >&2; exit 1; fi
        sleep 0.2
    done
    echo "not ready: $1" >&2; exit 1
}
if [ -z "$BASE" ]; then
    BIN=${CARGO_TARGET_DIR:-target}/release/medmap
    cargo build --release -q --bin medmap
    DB="$WORK/services.db"
    t0=$(date +%s%N)
    MEDMAP_SYNTH_SERVICES=$SERVICES MEDMAP_SYNTH_LOCATIONS=$LOCATIONS \
        "$BIN" --db "sqlite://$DB" import synthetic-services --seed 42 >"$WORK/import.log" 2>&1
    t1=$(date +%s%N)
    printf 'import synthetic-services (%s services at %s locations): %.1f s\n' "$SERVICES" "$LOCATIONS" "$(echo "($t1 - $t0) / 1000000000" | bc -l)"
    PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
    "$BIN" --db "sqlite://$DB" serve --addr "127.0.0.1:$PORT" --data-dir data >"$WORK/serve.log" 2>&1 &
    PIDS+=($!)
    BASE="http://127.0.0.1:$PORT"
    t0=$(date +%s%N)
    wait_ready "$BASE" "${PIDS[0]}"
    t1=$(date +%s%N)
    printf 'ready in %.1f s, RSS %d MB\n' "$(echo "($t1 - $t0) / 1000000000" | bc -l)" $(( $(awk '/VmRSS/ {print $2}' "/proc/${PIDS[0]}/status") / 1024 ))
    PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    MEDMAP_SEARCH_CACHE_MB=0 "$BIN" --db "sqlite://$DB" serve --addr "127.0.0.1:$PORT2" --data-dir data >"$WORK/serve2.log" 2>&1 &
    PIDS+=($!)
    BASE_OFF="http://127.0.0.1:$PORT2"
    wait_ready "$BASE_OFF" "${PIDS[1]}"
else
    BASE_OFF=${2:-}
fi
for b in "$BASE" $BASE_OFF; do
    case "$b" in http://127.*|http://localhost*) ;; *) echo "refusing non-loopback target $b" >&2; exit 2;; esac
done

QUERIES="$WORK/queries.txt"
grep -v '^#' tests/eval/services_truth.tsv | grep 'gen:' | cut -f2 >"$QUERIES"

# $1: extra query string appended to each request ("" or a radius around rotating cities).
services_script() {
cat <<LUA
local pts = {{40.7128,-74.0060},{34.0522,-118.2437},{41.8781,-87.6298},{29.7604,-95.3698},{51.5074,-0.1278},{53.4808,-2.2426},{52.4862,-1.8904},{37.7749,-122.4194}}
local radius = "$1"
local paths = {}
local i = 0
for q in io.lines("$QUERIES") do
  i = i + 1
  local enc = q:gsub("([^%w])", function(c) return string.format("%%%02X", string.byte(c)) end)
  local p = "/api/v1/hsds/services?per_page=20&search=" .. enc
  if radius ~= "" then
    local pt = pts[(i % #pts) + 1]
    p = p .. string.format("&lat=%f&lon=%f&radius_km=10", pt[1], pt[2])
  end
  paths[i] = wrk.format("GET", p)
end
local n = 0
request = function() n = n + 1; return paths[(n % #paths) + 1] end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
}
services_script "" >"$WORK/services.lua"
services_script "radius" >"$WORK/services-radius.lua"

# A slow search can exceed wrk's default 2 s timeout; give it 30 s so latency is measured,
# not counted as errors.
run() { # name script base
    printf '%-32s ' "$1"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 30s --latency -s "$2" "$3" | grep RESULT
}
run services-search "$WORK/services.lua" "$BASE"
run services-search-10km "$WORK/services-radius.lua" "$BASE"
if [ -n "$BASE_OFF" ]; then
    run services-search-memo-off "$WORK/services.lua" "$BASE_OFF"
    run services-search-10km-memo-off "$WORK/services-radius.lua" "$BASE_OFF"
fi
