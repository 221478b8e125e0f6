#!/usr/bin/env bash
# Start-up time (issue 3): cold first start on an empty SQLite database with the
# bundled data until /readyz is 200, then a restart on the database that start
# left, each with the server's resident memory once ready.
#
#   benches/startup.sh [RUNS]        (default 3 restarts)
#
# Uses the release binary (built if missing). Each figure is wall-clock time from
# spawning the process to the first 200 from /readyz, polled every 20 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
cargo build --release --quiet --bin medmap
bin=target/release/medmap
dir="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$((20000 + RANDOM % 20000))

start() {
    local t0 t1
    t0=$(date +%s%N)
    "$bin" --db "sqlite://$dir/medmap.db" serve \
        --addr "127.0.0.1:$port" >"$dir/log.$1" 2>&1 &
    pid=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "server exited; log:" >&2
            cat "$dir/log.$1" >&2
            exit 1
        fi
        sleep 0.02
    done
    t1=$(date +%s%N)
    local rss
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    printf '%-10s ready in %6.2f s   RSS %4d MB\n' "$1" "$(echo "($t1 - $t0) / 1000000000" | bc -l)" $((rss / 1024))
    kill -TERM "$pid"
    wait "$pid" || true
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start cold
for i in $(seq 1 "$runs"); do
    start "restart$i"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -h -E "snapshot|name index|catalog|imported" "$dir"/log.cold "$dir"/log.restart1 | cut -c1-220 | sed "s/^/  /" || true
