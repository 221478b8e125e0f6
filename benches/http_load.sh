#!/usr/bin/env bash
# HTTP load of a running or freshly started `medmap serve` with wrk (Debian).
#   benches/http_load.sh [BASE_URL]
# Without BASE_URL it builds the release binary, starts it on a scratch copy of the
# bundled database (or imports one), waits for /readyz, and stops it afterwards.
# Prints requests/s and latency percentiles per endpoint. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

BASE=${1:-}
PID=
if [ -z "$BASE" ]; then
    cargo build --release -q
    DB=${MEDMAP_BENCH_DB:-/tmp/medmap-bench.db}
    PORT=${PORT:-18099}
    ./target/release/medmap serve --db "sqlite://$DB" --addr "127.0.0.1:$PORT" --data-dir data >/tmp/medmap-bench.log 2>&1 &
    PID=$!
    trap '[ -n "$PID" ] && kill $PID' EXIT
    BASE="http://127.0.0.1:$PORT"
    for _ in $(seq 1 600); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.2; done
fi
case "$BASE" in http://127.*|http://localhost*) ;; *) echo "refusing non-loopback target $BASE" >&2; exit 2;; esac

# A query mix: exact, misspelt, Cyrillic, wrong layout, brand, multi-word.
cat >/tmp/medmap-queries.lua <<'LUA'
local qs = {"ibuprofen", "ibuprophen", "paracetamol", "парацетамол", "gfhfwtnfvjk", "nurofen",
            "amoxicillin", "amoxacillan", "zertec", "нурофен таблетки", "paracetamol 500 mg",
            "metformin", "омепразол", "lisinipril", "atorvastatin", "mophine", "advil", "цитрамон"}
local paths = {}
for i, q in ipairs(qs) do
  paths[i] = wrk.format("GET", "/api/v1/medications/search?limit=10&q=" .. q:gsub("([^%w])", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local n = 0
request = function() n = n + 1; return paths[(n % #paths) + 1] end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
sed -e 's#/api/v1/medications/search?limit=10&q=#/api/v1/medications/suggest?q=#' /tmp/medmap-queries.lua >/tmp/medmap-suggest.lua

# Availability around real bundled pharmacies (London, Manchester, Leeds, Birmingham, Helsinki).
cat >/tmp/medmap-avail.lua <<'LUA'
local pts = {{51.5074,-0.1278},{53.4808,-2.2426},{53.8008,-1.5491},{52.4862,-1.8904},{60.1699,24.9384},{51.4545,-2.5879}}
local qs = {"ibuprofen","paracetamol","amoxicillin","metformin","omeprazole","atorvastatin"}
local paths = {}
for i = 1, 36 do
  local p = pts[(i % #pts) + 1]; local q = qs[(i % #qs) + 1]
  paths[i] = wrk.format("GET", string.format("/api/v1/availability?q=%s&lat=%f&lon=%f&radius_km=10&open_now=false&limit=20", q, p[1], p[2]))
end
local n = 0
request = function() n = n + 1; return paths[(n % #paths) + 1] end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

for name in search suggest avail; do
    script=/tmp/medmap-queries.lua
    [ $name = suggest ] && script=/tmp/medmap-suggest.lua
    [ $name = avail ] && script=/tmp/medmap-avail.lua
    printf '%-8s ' "$name"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$script" "$BASE" | grep RESULT
done
