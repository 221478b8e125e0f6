#!/usr/bin/env bash
# Soak: the mixed load users make, at 80 % of the measured maximum, for a long time,
# against a release `medmap serve` on SQLite and on PostgreSQL (a fresh database),
# loopback only (issue 18 point 5).
#
#   nice -n 5 cargo build --release --bin medmap && benches/soak.sh [sqlite|postgres|both]
#
# The load (wrk, Debian, with a Lua script): medication search 30 %, suggest 25 %,
# availability 15 %, HSDS services 15 %, pages 15 % (home, results, where, services),
# queries drawn from tests/eval/names_truth.tsv; and a stock feed push (CSV, 40
# pharmacies x 100 products) every PUSH_EVERY seconds from a background loop.
#
# Per backend:
#   1. the unloaded p99: one connection, MEASURE long;
#   2. the maximum: CONNS connections as fast as they go, MEASURE long;
#   3. the soak: CONNS connections paced (wrk's delay()) to LOAD_PCT % of the maximum,
#      for DURATION, run as one wrk per SEGMENT so the curve has a point per segment:
#      requests/s, p99, errors, then RSS, open files and (PostgreSQL) connections
#      sampled every 10 s.
# Checks, printed as PASS/FAIL: 0 errors (wrk's and the pushes'), soak p99 <= 2x the
# unloaded p99, RSS after warm-up (the first segment) growing less than 10 %, open
# files and database connections at the end no more than at the start (+2 slack).
#
# Knobs: DURATION (10m; s/m/h), SEGMENT (60s), MEASURE (20s), LOAD_PCT (80),
# CONNS (16), THREADS (2), PUSH_EVERY (5), MEDMAP_BIN (target/release/medmap),
# PG_URL (postgres://postgres@127.0.0.1:5432, the server the fresh database is made on).
# The per-client rate limit is off for the run (all load comes from 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH=${1:-both}
DURATION=${DURATION:-10m}
SEGMENT=${SEGMENT:-60s}
MEASURE=${MEASURE:-20s}
LOAD_PCT=${LOAD_PCT:-80}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
PUSH_EVERY=${PUSH_EVERY:-5}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
BIN=${MEDMAP_BIN:-${CARGO_TARGET_DIR:-target}/release/medmap}
[ -x "$BIN" ] || { echo "no release binary at $BIN: cargo build --release --bin medmap" >&2; exit 2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

secs() { # 90s, 10m, 1h, 30 -> seconds
    case "$1" in
        *h) echo $(( ${1%h} * 3600 )) ;;
        *m) echo $(( ${1%m} * 60 )) ;;
        *s) echo "${1%s}" ;;
        *) echo "$1" ;;
    esac
}
TOTAL_S=$(secs "$DURATION")
SEG_S=$(secs "$SEGMENT")
[ "$SEG_S" -le "$TOTAL_S" ] || SEG_S=$TOTAL_S
SEGMENTS=$(( TOTAL_S / SEG_S ))

WORK=$(mktemp -d)
PIDS=()
PGDB=""
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$PGDB" ]; then psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- The mixed request script. ------------------------------------------------------
QUERIES="$WORK/queries.txt"
tail -n +2 tests/eval/names_truth.tsv | cut -f1 | head -120 >"$QUERIES"
# $1: delay between a connection's requests in ms (0: as fast as possible).
mixed_lua() {
cat <<LUA
local enc = function(s) return (s:gsub("([^%w])", function(c) return string.format("%%%02X", string.byte(c)) end)) end
local qs = {}
for q in io.lines("$QUERIES") do qs[#qs + 1] = enc(q) end
local drugs = {"ibuprofen","paracetamol","amoxicillin","metformin","omeprazole","atorvastatin"}
local pts = {{51.5074,-0.1278},{53.4808,-2.2426},{53.8008,-1.5491},{52.4862,-1.8904},{60.1699,24.9384},{51.4545,-2.5879}}
local hsds = {"food","shelter","health","legal","housing","counseling"}
local html = {["Accept"] = "text/html"}
local kinds = {
  {30, function() return wrk.format("GET", "/api/v1/medications/search?limit=10&q=" .. qs[math.random(#qs)]) end},
  {25, function() return wrk.format("GET", "/api/v1/medications/suggest?q=" .. qs[math.random(#qs)]) end},
  {15, function()
    local p = pts[math.random(#pts)]
    return wrk.format("GET", string.format("/api/v1/availability?q=%s&lat=%f&lon=%f&radius_km=10&limit=20", drugs[math.random(#drugs)], p[1], p[2]))
  end},
  {10, function() return wrk.format("GET", "/api/v1/hsds/services?per_page=20&search=" .. hsds[math.random(#hsds)]) end},
  {5, function() return wrk.format("GET", "/api/v1/hsds/service_at_locations?per_page=50") end},
  {4, function() return wrk.format("GET", "/", html) end},
  {5, function() return wrk.format("GET", "/medications?q=" .. qs[math.random(#qs)], html) end},
  {3, function() return wrk.format("GET", "/where?q=" .. drugs[math.random(#drugs)] .. "&near=London", html) end},
  {3, function() return wrk.format("GET", "/services?q=" .. hsds[math.random(#hsds)], html) end},
}
local total = 0
for _, k in ipairs(kinds) do total = total + k[1] end
local n = 0
setup = function(thread) n = n + 1; thread:set("seed", n) end
init = function() math.randomseed(42 + (seed or 0)) end
request = function()
  local r = math.random() * total
  for _, k in ipairs(kinds) do
    r = r - k[1]
    if r <= 0 then return k[2]() end
  end
  return kinds[1][2]()
end
-- wrk's delay is whole milliseconds: a fractional pause alternates floor and ceil.
local pause = $1
local lo, frac = math.floor(pause), pause - math.floor(pause)
if pause > 0 then delay = function() return lo + ((math.random() < frac) and 1 or 0) end end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f mean_ms=%.2f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
}
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
wrk_run() { # conns duration script base
    wrk -t"$(( $1 < THREADS ? $1 : THREADS ))" -c"$1" -d"$2" --timeout 10s --latency -s "$3" "$4" | grep RESULT
}

soak() { # backend
    local backend=$1 db port base pid
    case "$backend" in
        sqlite) db="sqlite://$WORK/soak.db" ;;
        postgres)
            PGDB="medmap_soak_$$"
            psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $PGDB" -c "CREATE DATABASE $PGDB" >/dev/null
            db="$PG_URL/$PGDB" ;;
    esac
    port=$(free_port)
    base="http://127.0.0.1:$port"
    MEDMAP_CLIENT_RATE_PER_MIN=0 RUST_LOG=warn "$BIN" --db "$db" serve --addr "127.0.0.1:$port" --data-dir data \
        >"$WORK/$backend.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    local t0=$SECONDS
    for _ in $(seq 1 3000); do
        curl -sf "$base/readyz" >/dev/null && break
        kill -0 "$pid" 2>/dev/null || { echo "server exited:"; cat "$WORK/$backend.log"; exit 1; }
        sleep 0.2
    done
    curl -sf "$base/readyz" >/dev/null || { echo "not ready: $base" >&2; exit 1; }
    echo "== $backend: release server ready in $(( SECONDS - t0 )) s ($db)"

    # Every kind of request answers 200 before the run counts errors.
    for p in "/api/v1/medications/search?q=ibuprofen" "/api/v1/medications/suggest?q=ibu" \
        "/api/v1/availability?q=ibuprofen&lat=51.5074&lon=-0.1278&radius_km=10&limit=20" \
        "/api/v1/hsds/services?per_page=20&search=food" "/api/v1/hsds/service_at_locations?per_page=50" \
        "/" "/medications?q=ibuprofen" "/where?q=ibuprofen&near=London" "/services?q=food"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$base$p")
        [ "$code" = 200 ] || { echo "$p answered $code" >&2; exit 1; }
    done

    # A key for 40 pharmacies and a push of 100 products each.
    local sql_f="SELECT id FROM facilities WHERE kind = 'pharmacy' ORDER BY id LIMIT 40"
    local sql_p="SELECT id FROM products ORDER BY id LIMIT 100"
    if [ "$backend" = sqlite ]; then
        sqlite3 "$WORK/soak.db" "$sql_f" >"$WORK/fac.txt"; sqlite3 "$WORK/soak.db" "$sql_p" >"$WORK/prod.txt"
    else
        psql -At "$db" -c "$sql_f" >"$WORK/fac.txt"; psql -At "$db" -c "$sql_p" >"$WORK/prod.txt"
    fi
    local key
    key=$("$BIN" --db "$db" keys create --publisher "soak $backend" --facilities-file "$WORK/fac.txt" 2>/dev/null \
        | grep -o 'mmk_[0-9a-f]*' | head -1)
    [ -n "$key" ] || { echo "no key created" >&2; exit 1; }
    push_csv() { # round
        awk -v r="$1" 'NR==FNR { f[n++] = $1; next } { p[m++] = $1 }
            END { print "facility;product_id;code;quantity;price;price_reserve";
                  for (i = 0; i < n; i++) for (j = 0; j < m; j++)
                      printf "%s;%s;S-%s;%d;%d.%02d;\n", f[i], p[j], p[j], (i + j + r) % 9, 20 + (i * j + r) % 300, (i + r) % 100 }' \
            "$WORK/fac.txt" "$WORK/prod.txt" >"$WORK/push.csv"
    }
    push_csv 0
    code=$(curl -s -o "$WORK/push.out" -w '%{http_code}' -H "Authorization: Bearer $key" --data-binary @"$WORK/push.csv" "$base/api/v1/feeds/stock")
    [ "$code" = 200 ] || { echo "first push answered $code: $(cat "$WORK/push.out")" >&2; exit 1; }

    # 1. Unloaded p99, 2. the maximum.
    mixed_lua 0 >"$WORK/max.lua"
    local unloaded max max_rps unl_p99 unl_mean target pause
    unloaded=$(wrk_run 1 "$MEASURE" "$WORK/max.lua" "$base")
    max=$(wrk_run "$CONNS" "$MEASURE" "$WORK/max.lua" "$base")
    echo "unloaded (1 connection, $MEASURE): $unloaded"
    echo "maximum  ($CONNS connections, $MEASURE): $max"
    max_rps=$(field rps "$max"); unl_p99=$(field p99_ms "$unloaded"); unl_mean=$(field mean_ms "$unloaded")
    target=$(echo "$max_rps * $LOAD_PCT / 100" | bc -l)
    # Each connection waits `pause` ms after an answer: CONNS / (pause + latency) = target.
    pause=$(printf '%.2f' "$(echo "p = $CONNS * 1000 / $target - $unl_mean; if (p < 0) p = 0; p" | bc -l)")
    mixed_lua "$pause" >"$WORK/soak.lua"
    # Latency under load is longer than unloaded: paced 10 s runs measure the cycle a
    # connection really takes, and the pause is corrected until the rate is within
    # 5 % of the target (at most four rounds).
    local calib achieved
    for round in 1 2 3 4; do
        calib=$(wrk_run "$CONNS" 10s "$WORK/soak.lua" "$base")
        achieved=$(field rps "$calib")
        printf 'calibration %d: %.0f req/s with a %s ms pause\n' "$round" "$achieved" "$pause"
        if [ "$(echo "$achieved >= $target * 0.95 && $achieved <= $target * 1.05" | bc -l)" = 1 ]; then
            break
        fi
        pause=$(printf '%.2f' "$(echo "l = $CONNS * 1000 / $achieved - $pause; p = $CONNS * 1000 / $target - l; if (p < 0) p = 0; p" | bc -l)")
        mixed_lua "$pause" >"$WORK/soak.lua"
    done
    printf 'soak target %.0f req/s (%s %% of %.0f), %s ms pause per connection, %d x %s\n' \
        "$target" "$LOAD_PCT" "$max_rps" "$pause" "$SEGMENTS" "$SEGMENT"

    # 3. Soak, with pushes and the sampler beside it.
    local stop="$WORK/stop.$backend" samples="$WORK/samples.$backend" pushes="$WORK/pushes.$backend"
    rm -f "$stop"; : >"$samples"; : >"$pushes"
    pgconns() {
        [ "$backend" = postgres ] || { echo -; return; }
        psql -At "$PG_URL/postgres" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$PGDB'"
    }
    sample() { echo "$(( SECONDS - t_soak )) $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status") $(ls "/proc/$pid/fd" | wc -l) $(pgconns)"; }
    local t_soak=$SECONDS
    local start_sample
    start_sample=$(sample)
    ( while [ ! -e "$stop" ]; do sample >>"$samples"; sleep 10; done ) &
    local sampler=$!
    ( r=1; while [ ! -e "$stop" ]; do
          push_csv "$r"
          curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 -H "Authorization: Bearer $key" \
              --data-binary @"$WORK/push.csv" "$base/api/v1/feeds/stock" >>"$pushes" || echo "curl-failed" >>"$pushes"
          r=$(( r + 1 )); sleep "$PUSH_EVERY"
      done ) &
    local pusher=$!
    local seg out errors=0 worst_p99=0 seg_p99s=() seg_rps=()
    printf '%8s %10s %9s %9s %8s\n' segment "req/s" "p50 ms" "p99 ms" errors
    for s in $(seq 1 "$SEGMENTS"); do
        out=$(wrk_run "$CONNS" "${SEG_S}s" "$WORK/soak.lua" "$base")
        printf '%8s %10s %9s %9s %8s\n' "$s" "$(field rps "$out")" "$(field p50_ms "$out")" "$(field p99_ms "$out")" "$(field errors "$out")"
        errors=$(( errors + $(field errors "$out") ))
        seg_p99s+=("$(field p99_ms "$out")")
        seg_rps+=("$(field rps "$out")")
    done
    touch "$stop"
    wait "$sampler" "$pusher" 2>/dev/null || true
    local end_sample
    end_sample=$(sample)
    worst_p99=$(printf '%s\n' "${seg_p99s[@]}" | sort -g | tail -1)

    echo "resident memory, open files, database connections every 10 s (t s, RSS MB, fds, pg):"
    awk '{ printf "  t=%4d  rss=%4d MB  fds=%4d  pg=%s\n", $1, $2, $3, $4 }' "$samples"
    local push_total push_bad
    push_total=$(wc -l <"$pushes"); push_bad=$(grep -vc '^200$' "$pushes" || true)
    echo "feed pushes: $push_total, not 200: $push_bad"
    read -r _ rss0 fd0 pg0 <<<"$start_sample"
    read -r _ rss1 fd1 pg1 <<<"$end_sample"
    echo "start: rss=${rss0} MB fds=$fd0 pg=$pg0; end: rss=${rss1} MB fds=$fd1 pg=$pg1"
    # RSS after warm-up: the first sample past the first segment.
    local warm
    warm=$(awk -v w="$SEG_S" '$1 >= w { print $2; exit }' "$samples")
    warm=${warm:-$rss0}
    local verdict=PASS
    check() { if [ "$1" = 1 ]; then echo "PASS $2"; else echo "FAIL $2"; verdict=FAIL; fi; }
    check "$([ $(( errors + push_bad )) -eq 0 ] && echo 1)" "errors: wrk $errors, pushes $push_bad"
    local mean_rps
    mean_rps=$(printf '%s\n' "${seg_rps[@]}" | awk '{ s += $1 } END { printf "%.1f", s / NR }')
    check "$(echo "$mean_rps >= $max_rps * ($LOAD_PCT - 5) / 100" | bc -l)" "load: $mean_rps req/s on average, $(echo "100 * $mean_rps / $max_rps" | bc) % of the maximum $max_rps (target $LOAD_PCT %)"
    check "$(echo "$worst_p99 <= 2 * $unl_p99" | bc -l)" "worst segment p99 $worst_p99 ms vs unloaded p99 $unl_p99 ms (<= 2x)"
    check "$(echo "$rss1 <= $warm * 1.10" | bc -l)" "RSS after warm-up $warm MB -> end $rss1 MB (< 10 % growth)"
    check "$([ "$fd1" -le $(( fd0 + 2 )) ] && echo 1)" "open files $fd0 -> $fd1"
    if [ "$backend" = postgres ]; then
        check "$([ "$pg1" -le $(( pg0 + 2 )) ] && echo 1)" "database connections $pg0 -> $pg1"
    fi
    echo "== $backend: $verdict ($DURATION at $LOAD_PCT % of the maximum)"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$backend" = postgres ]; then
        psql -q "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null; PGDB=""
    fi
}

case "$WHICH" in
    sqlite|postgres) soak "$WHICH" ;;
    both) soak sqlite; soak postgres ;;
    *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
