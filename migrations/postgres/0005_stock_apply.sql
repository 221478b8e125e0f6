-- Faster durable feed apply (PostgreSQL flavour; keep in step with ../sqlite/0005_stock_apply.sql).

-- The push that last wrote each line: a snapshot push upserts its lines, then deletes
-- the listed facilities' lines it did not write, in one statement, instead of deleting
-- every line and inserting it again.
ALTER TABLE stock ADD COLUMN push_id BIGINT;

-- The foreign keys of stock ran three per-row RI look-ups on every inserted line, which
-- cost more than the insert itself. The apply now locks the referenced facilities,
-- products and publisher once per push (FOR KEY SHARE, as the RI checks did) and
-- inserts only lines whose facility and product exist; the cascades the keys gave
-- become statement-level triggers.
ALTER TABLE stock DROP CONSTRAINT IF EXISTS stock_facility_id_fkey;
ALTER TABLE stock DROP CONSTRAINT IF EXISTS stock_product_id_fkey;
ALTER TABLE stock DROP CONSTRAINT IF EXISTS stock_publisher_id_fkey;

CREATE FUNCTION stock_cascade_facilities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM stock WHERE facility_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;
CREATE TRIGGER facilities_stock_cascade AFTER DELETE ON facilities
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION stock_cascade_facilities();

CREATE FUNCTION stock_cascade_products() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM stock WHERE product_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;
CREATE TRIGGER products_stock_cascade AFTER DELETE ON products
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION stock_cascade_products();

CREATE FUNCTION stock_unset_publishers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stock SET publisher_id = NULL WHERE publisher_id IN (SELECT id FROM gone);
    RETURN NULL;
END $$;
CREATE TRIGGER publishers_stock_unset AFTER DELETE ON publishers
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION stock_unset_publishers();

-- No query looks stock up by product alone (readers load it whole); the index only
-- slowed every insert. Product deletes (admin only) scan once per statement.
DROP INDEX IF EXISTS stock_product;
