-- Leaner stock for the feed apply (SQLite flavour; PostgreSQL got the same in 0005).
--
-- One B-tree instead of two: the table is clustered on its key (WITHOUT ROWID), so an
-- upsert writes the line once instead of a rowid row plus a key index entry. And no
-- per-row foreign-key checks: the push checks each distinct facility and product once
-- per chunk inside its write transaction (SQLite's single writer keeps them from going
-- away before the commit), and the cascades the keys gave become triggers.
CREATE TABLE stock_lean (
    facility_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    status TEXT NOT NULL, quantity REAL, price_minor INTEGER, currency TEXT,
    checked_at INTEGER NOT NULL, source TEXT NOT NULL,
    publisher_id INTEGER,
    price_reserve_minor INTEGER,
    push_id INTEGER,
    PRIMARY KEY (facility_id, product_id)
) WITHOUT ROWID;
INSERT INTO stock_lean (facility_id, product_id, status, quantity, price_minor, currency, checked_at, source, publisher_id, price_reserve_minor, push_id)
    SELECT facility_id, product_id, status, quantity, price_minor, currency, checked_at, source, publisher_id, price_reserve_minor, push_id FROM stock;
DROP TABLE stock;
ALTER TABLE stock_lean RENAME TO stock;
CREATE INDEX stock_publisher ON stock (publisher_id, facility_id);

CREATE TRIGGER facilities_stock_cascade AFTER DELETE ON facilities
BEGIN
    DELETE FROM stock WHERE facility_id = OLD.id;
END;
CREATE TRIGGER products_stock_cascade AFTER DELETE ON products
BEGIN
    DELETE FROM stock WHERE product_id = OLD.id;
END;
CREATE TRIGGER publishers_stock_unset AFTER DELETE ON publishers
BEGIN
    UPDATE stock SET publisher_id = NULL WHERE publisher_id = OLD.id;
END;
