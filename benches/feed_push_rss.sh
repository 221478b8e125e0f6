#!/usr/bin/env bash
# A 1M-row stock push over HTTP against a real `medmap serve` (issue 6 point 8): how
# long it takes and the server's peak RSS (VmHWM) before and after, so the streamed,
# chunked push is seen to hold bounded memory.
#
#   cargo build --release --bin medmap && benches/feed_push_rss.sh
#
# FEED_DB=postgres://127.0.0.1:5432/DBNAME pushes into PostgreSQL instead of a temp
# SQLite file (the database must exist and be empty). FEED_FACILITIES x FEED_PRODUCTS
# lines (default 1000 x 1000). Three pushes: medmap CSV into an empty stock, the same
# CSV again replacing it, then the same lines as one Tabletki.ua Branches/Rests JSON
# document whose rests name products only by the chain codes the CSV carried (so the
# codes learnt from the first push resolve them, and the streamed JSON parser is
# measured on a million rests).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MEDMAP_BIN:-${CARGO_TARGET_DIR:-target}/release/medmap}
NF=${FEED_FACILITIES:-1000}
NP=${FEED_PRODUCTS:-1000}
WORK=$(mktemp -d)
DB=${FEED_DB:-sqlite://$WORK/push.db}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

MEDMAP_MAX_BODY_BYTES=200000000 RUST_LOG=warn "$BIN" --db "$DB" serve --addr "127.0.0.1:$PORT" --data-dir data 2>"$WORK/server.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do
  curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "$BASE/readyz" >/dev/null

hwm() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$PID/status"; }
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$PID/status"; }

# Ids straight from the database the server filled.
case "$DB" in
  sqlite://*)
    F=$(sqlite3 "${DB#sqlite://}" "SELECT id FROM facilities WHERE kind = 'pharmacy' ORDER BY id LIMIT $NF")
    P=$(sqlite3 "${DB#sqlite://}" "SELECT id FROM products ORDER BY id LIMIT $NP") ;;
  *)
    F=$(psql -At "$DB" -c "SELECT id FROM facilities WHERE kind = 'pharmacy' ORDER BY id LIMIT $NF")
    P=$(psql -At "$DB" -c "SELECT id FROM products ORDER BY id LIMIT $NP") ;;
esac
echo "$F" >"$WORK/facilities.txt"
KEY=$("$BIN" --db "$DB" keys create --publisher "RSS bench" --facilities-file "$WORK/facilities.txt" 2>/dev/null | grep -o 'mmk_[0-9a-f]*' | head -1)

python3 - "$WORK/facilities.txt" "$WORK/push.csv" "$WORK/push.json" <<EOF
import sys
from datetime import datetime
from zoneinfo import ZoneInfo
now = datetime.now(ZoneInfo("Europe/Kyiv")).strftime("%d.%m.%Y %H:%M:%S")
fac = open(sys.argv[1]).read().split()
prod = """$P""".split()
with open(sys.argv[2], "w") as out, open(sys.argv[3], "w") as js:
    out.write("facility;product_id;code;quantity;price;price_reserve\n")
    js.write('{"Branches": [')
    n = 0
    for i, f in enumerate(fac):
        js.write((',' if i else '') + '{"Code": "%s", "DateTime": "%s", "Rests": [' % (f, now))
        for j, p in enumerate(prod):
            out.write(f"{f};{p};TT-{p};{n % 17},5;{20 + n % 300},{n % 100:02d};{19 + n % 300},00\n")
            js.write((',' if j else '') + '{"Code": "TT-%s", "Price": %d.%02d, "Qty": %d.5, "PriceReserve": %d}' % (p, 20 + n % 300, n % 100, n % 17, 19 + n % 300))
            n += 1
        js.write(']}')
    js.write(']}')
EOF
ROWS=$(($(wc -l <"$WORK/push.csv") - 1))
echo "server $BIN on $DB: $ROWS rows ($(du -m "$WORK/push.csv" | cut -f1) MB CSV); RSS $(rss) MB, peak $(hwm) MB before"
echo "Tabletki JSON of the same lines: $(du -m "$WORK/push.json" | cut -f1) MB"
for round in first replacing tabletki_json; do
  BODY=$WORK/push.csv
  [ "$round" = tabletki_json ] && BODY=$WORK/push.json
  T0=$(date +%s.%N)
  OUT=$(curl -s -o "$WORK/report.json" -w '%{http_code}' -H "Authorization: Bearer $KEY" \
    --data-binary "@$BODY" "$BASE/api/v1/feeds/stock")
  T1=$(date +%s.%N)
  python3 - "$WORK/report.json" "$OUT" "$T0" "$T1" "$round" "$(rss)" "$(hwm)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
code, t0, t1, rnd, rss, hwm = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
acc = r.get("rows_accepted", 0)
print(f"{rnd} push: HTTP {code}, status {r.get('status')}, accepted {acc}, removed {r.get('lines_removed')}, "
      f"{t1 - t0:.1f} s wall = {acc / (t1 - t0):.0f} rows/s; server RSS {rss} MB, peak {hwm} MB")
EOF
done
# The public freshness page over a million feed lines (it counts lines and stale
# facilities per publisher).
for i in 1 2 3; do
  curl -s -o /dev/null -w "publishers/status: HTTP %{http_code} in %{time_total} s\n" "$BASE/api/v1/publishers/status"
done
