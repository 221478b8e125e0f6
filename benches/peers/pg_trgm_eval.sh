#!/usr/bin/env bash
# Side by side on the same 235 hand-written realistic queries (tests/eval/names_truth.tsv):
# medmap's name search (HTTP API of a running `medmap serve`) and what a user would
# pick instead, PostgreSQL pg_trgm (GiST index, KNN `name <-> query`) over the same
# 144k bundled names exported from medmap's SQLite database.
#   benches/peers/pg_trgm_eval.sh MEDMAP_DB_FILE MEDMAP_BASE_URL
# A hit counts when the concept returned carries the expected name among its names,
# or is a product one of whose ingredients does (a brand query expects its generic),
# case-insensitive, decided by one function over medmap's database for both. Needs psql (PostgreSQL on 127.0.0.1:5432,
# database test) and sqlite3; loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
DB=${1:?medmap SQLite database file}
BASE=${2:?medmap base URL, e.g. http://127.0.0.1:8080}
PG=${MEDMAP_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}
case "$BASE" in http://127.*|http://localhost*) ;; *) echo "refusing non-loopback $BASE" >&2; exit 2;; esac
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; psql -q "$PG" -c "DROP SCHEMA IF EXISTS peer_trgm CASCADE" >/dev/null 2>&1 || true' EXIT

sqlite3 -csv "$DB" "SELECT concept_kind, concept_id, name FROM names" >"$WORK/names.csv"
tail -n +2 tests/eval/names_truth.tsv >"$WORK/truth.tsv"

psql -q -v ON_ERROR_STOP=1 "$PG" <<SQL
DROP SCHEMA IF EXISTS peer_trgm CASCADE;
CREATE SCHEMA peer_trgm;
SET search_path = peer_trgm, public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE TABLE names (kind TEXT, id BIGINT, name TEXT);
\copy names FROM '$WORK/names.csv' WITH (FORMAT csv)
CREATE TABLE truth (query TEXT, expected TEXT, category TEXT);
\copy truth FROM '$WORK/truth.tsv' WITH (FORMAT text)
CREATE INDEX names_trgm ON names USING gist (name gist_trgm_ops);
CREATE INDEX names_lower ON names (kind, id, lower(name));
ANALYZE names;
SQL

START=$(date +%s.%N)
psql -q -At -F $'\t' "$PG" >"$WORK/pg.tsv" <<'SQL'
SET search_path = peer_trgm, public;
SELECT t.query, r.rank, r.kind, r.id
FROM truth t
CROSS JOIN LATERAL (
  SELECT kind, id, row_number() OVER (ORDER BY d) AS rank FROM (
    SELECT kind, id, min(d) AS d FROM (
      SELECT kind, id, name <-> t.query AS d FROM names ORDER BY name <-> t.query LIMIT 50
    ) k GROUP BY kind, id ORDER BY min(d) LIMIT 5
  ) c
) r;
SQL
PG_SECS=$(echo "$(date +%s.%N) - $START" | bc)

python3 - "$WORK/truth.tsv" "$WORK/pg.tsv" "$BASE" "$PG_SECS" "$DB" <<'PY'
import sys, time, json, sqlite3, urllib.parse, urllib.request
truth = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
db = sqlite3.connect(sys.argv[5])
def ok(kind, cid, expected):
    e = expected.lower()
    names = {n.lower() for (n,) in db.execute("SELECT name FROM names WHERE concept_kind=? AND concept_id=?", (kind, cid))}
    if e in names:
        return True
    if kind == "product":
        for (s,) in db.execute("SELECT substance_id FROM product_substances WHERE product_id=?", (cid,)):
            if ok("substance", s, expected):
                return True
    return False
expected = {q: e for q, e, _ in truth}
pg = {}
for l in open(sys.argv[2], encoding="utf-8"):
    q, rank, kind, cid = l.rstrip("\n").split("\t")
    pg.setdefault(q, []).append((int(rank), ok(kind, int(cid), expected[q])))
def rec(ranks):
    r1 = sum(1 for rs in ranks if rs and rs[0]) / len(ranks)
    r5 = sum(1 for rs in ranks if any(rs[:5])) / len(ranks)
    return r1, r5
pg_ranks = [[ok for _, ok in sorted(pg.get(q, []))] for q, _, _ in truth]
ours, t0 = [], time.time()
for q, exp, _ in truth:
    url = sys.argv[3] + "/api/v1/medications/search?limit=5&q=" + urllib.parse.quote(q)
    items = json.load(urllib.request.urlopen(url))["items"]
    ours.append([ok(("substance" if it["id"][0] == "s" else "product"), int(it["id"][1:]), exp) for it in items])
secs = time.time() - t0
o1, o5 = rec(ours); p1, p5 = rec(pg_ranks)
print(f"queries: {len(truth)} (tests/eval/names_truth.tsv)")
print(f"medmap   recall@1 {o1:.3f}  recall@5 {o5:.3f}  ({secs:.2f} s for all, over HTTP)")
print(f"pg_trgm  recall@1 {p1:.3f}  recall@5 {p5:.3f}  ({float(sys.argv[4]):.2f} s for all, in one psql batch)")
print(f"ratio of misses@1 pg_trgm/medmap: {(1 - p1) / max(1 - o1, 1e-9):.1f}x")
PY
