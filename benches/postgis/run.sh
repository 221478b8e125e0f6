#!/usr/bin/env bash
# Side-by-side: the availability query on PostgreSQL + PostGIS vs medmap's
# in-process index, on the SAME seeded data, in one run.
#
#   benches/postgis/run.sh                    # 10M lines
#   STOCK_LINES=40000000 benches/postgis/run.sh
#
# Needs a PostgreSQL 15 server on 127.0.0.1:5432 with trust auth for
# $PGUSER (default postgres). Installs Debian postgresql-15-postgis-3 if the
# extension is missing. Creates (and drops first) database $PGDATABASE
# (default medmap_postgis_bench). Environment: STOCK_LINES, DURATION (pgbench
# seconds, default 30), WORK (scratch dir for the CSV), CARGO_TARGET_DIR.
#
# The query, as a PostGIS user would write it: GiST on pharmacy.geog, B-tree
# (primary key) on stock (product, pharmacy), open-now precomputed as a column
# (medmap uses a precomputed open-now table too), fresh = checked within 24 h,
# 10 km around a random pharmacy, random product, top 20 by distance.
# pgbench runs one client, prepared statements, over TCP to localhost.
set -euo pipefail

cd "$(dirname "$0")/../.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGDATABASE=${PGDATABASE:-medmap_postgis_bench}
LINES=${STOCK_LINES:-10000000}
DURATION=${DURATION:-30}
WORK=${WORK:-/tmp/medmap-postgis-$LINES}
export STOCK_LINES=$LINES

have_postgis() {
  psql -d postgres -Atc "select 1 from pg_available_extensions where name='postgis'" | grep -q 1
}
if ! have_postgis; then
  echo "== installing postgresql-15-postgis-3"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15-postgis-3
fi

echo "== generating $LINES lines into $WORK"
if [ ! -s "$WORK/stock.csv" ] || [ ! -s "$WORK/params.env" ]; then
  cargo run -q -p medmap-benches --release --example gen_stock -- --out "$WORK"
fi
# shellcheck disable=SC1091
. "$WORK/params.env"

echo "== loading into $PGDATABASE"
dropdb --if-exists "$PGDATABASE"
createdb "$PGDATABASE"
t0=$(date +%s)
psql -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION postgis;
CREATE TABLE pharmacy (
  id int PRIMARY KEY, lat float8 NOT NULL, lon float8 NOT NULL,
  hours text, open_now boolean NOT NULL, geog geography(Point, 4326));
\copy pharmacy (id, lat, lon, hours, open_now) FROM '$WORK/pharmacy.csv' CSV
UPDATE pharmacy SET geog = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography;
CREATE INDEX pharmacy_geog ON pharmacy USING gist (geog);
CREATE TABLE stock (
  product int NOT NULL, pharmacy int NOT NULL, status smallint NOT NULL,
  quantity int, price int, checked_at timestamptz NOT NULL);
\copy stock FROM '$WORK/stock.csv' CSV
ALTER TABLE stock ADD PRIMARY KEY (product, pharmacy);
VACUUM ANALYZE pharmacy;
VACUUM ANALYZE stock;
SQL
echo "   load + index: $(( $(date +%s) - t0 )) s"

read -r STOCK_BYTES ALL_BYTES < <(psql -Atc "select pg_total_relation_size('stock'), pg_total_relation_size('stock') + pg_total_relation_size('pharmacy')" | tr '|' ' ')
ROWS=$(psql -Atc "select count(*) from stock")

cat > "$WORK/query.sql" <<'SQL'
\set ph random(0, :pharmacies - 1)
\set prod random(0, :products - 1)
SELECT s.pharmacy, ST_Distance(p.geog, q.geog) AS distance_m, s.price, s.quantity, s.checked_at
FROM stock s
JOIN pharmacy p ON p.id = s.pharmacy
CROSS JOIN (SELECT geog FROM pharmacy WHERE id = :ph) q
WHERE s.product = :prod
  AND ST_DWithin(p.geog, q.geog, 10000)
  AND p.open_now
  AND s.status <> 2
  AND s.checked_at >= to_timestamp(:now - 86400)
ORDER BY distance_m
LIMIT 20;
SQL

echo "== plan of one query"
psql -At <<SQL | sed 's/^/   /'
PREPARE q(int, int) AS
SELECT s.pharmacy, ST_Distance(p.geog, q.geog) AS distance_m, s.price FROM stock s
JOIN pharmacy p ON p.id = s.pharmacy CROSS JOIN (SELECT geog FROM pharmacy WHERE id = \$1) q
WHERE s.product = \$2 AND ST_DWithin(p.geog, q.geog, 10000) AND p.open_now AND s.status <> 2
  AND s.checked_at >= to_timestamp($NOW - 86400) ORDER BY distance_m LIMIT 20;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE q(1, 0);
SQL

PGB=(pgbench -n -M prepared -c 1 -j 1 -f "$WORK/query.sql"
  -D pharmacies="$PHARMACIES" -D products="$PRODUCTS" -D now="$NOW")
echo "== prewarm (tables and indexes into the OS cache; shared_buffers is smaller than the table)"
psql -q -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" -c "SELECT pg_prewarm('stock', 'read'), pg_prewarm('stock_pkey', 'read'), pg_prewarm('pharmacy'), pg_prewarm('pharmacy_geog'), pg_prewarm('stock_pkey')" >/dev/null
echo "== pgbench warm-up (10 s)"
"${PGB[@]}" -T 10 >/dev/null
echo "== pgbench ($DURATION s)"
rm -f "$WORK"/pgb*
(cd "$WORK" && "${PGB[@]}" -T "$DURATION" -l --log-prefix=pgb | grep -E 'latency average|tps' | sed 's/^/   /')
# Per-transaction log: client tx latency_us script epoch epoch_us.
read -r PG_N PG_P50 PG_P99 < <(cat "$WORK"/pgb* | awk '{print $3}' | sort -n | awk '
  {v[NR]=$1} END {i50=int((NR-1)*0.50+0.5)+1; i99=int((NR-1)*0.99+0.5)+1; printf "%d %.1f %.1f\n", NR, v[i50], v[i99]}')

echo "== medmap in-process, same data (seeded generator)"
OURS=$(STOCK_CRITERION=0 cargo bench -q -p medmap-benches --bench stock 2>/dev/null | tee "$WORK/ours.log" | grep '^OURS')
grep -E 'stock build|posting|uniform product, distance, auto|popular product, distance, auto' "$WORK/ours.log" | sed 's/^/   /'
val() { echo "$OURS" | tr ' ' '\n' | awk -F= -v k="$1" '$1==k {print $2}'; }
US_P50=$(val p50_us); US_P99=$(val p99_us); US_BPL=$(val bytes_per_line)

awk -v rows="$ROWS" -v sb="$STOCK_BYTES" -v ab="$ALL_BYTES" -v n="$PG_N" -v p50="$PG_P50" -v p99="$PG_P99" \
    -v u50="$US_P50" -v u99="$US_P99" -v ub="$US_BPL" 'BEGIN {
  pgb = sb / rows; pga = ab / rows;
  printf "\n== result at %d lines\n", rows;
  printf "PostGIS  p50 %8.1f µs  p99 %8.1f µs  (%d queries)  %.1f bytes/line (stock table+indexes; %.1f with pharmacy)\n", p50, p99, n, pgb, pga;
  printf "medmap   p50 %8.2f µs  p99 %8.2f µs  %.2f bytes/line (stock index heap)\n", u50, u99, ub;
  printf "ratio    p50 %.0fx faster  p99 %.0fx faster  %.1fx smaller\n", p50 / u50, p99 / u99, pgb / ub;
}'
