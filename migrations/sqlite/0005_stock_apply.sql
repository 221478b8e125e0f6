-- Faster durable feed apply (SQLite flavour; keep in step with ../postgres/0005_stock_apply.sql).

-- The push that last wrote each line: a snapshot push upserts its lines, then deletes
-- the listed facilities' lines it did not write, in one statement, instead of deleting
-- every line and inserting it again.
ALTER TABLE stock ADD COLUMN push_id INTEGER;

-- No query looks stock up by product alone (readers load it whole); the index only
-- slowed every insert. SQLite's foreign keys stay (a parent look-up per row is cheap
-- here); a product delete (admin only) scans stock once.
DROP INDEX IF EXISTS stock_product;
