-- medmap schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql:
-- the same tables and columns, only the types differ.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE substances (
    id INTEGER PRIMARY KEY,
    merge_key TEXT NOT NULL UNIQUE,
    name_en TEXT, name_uk TEXT, name_ru TEXT, atc TEXT
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    name TEXT NOT NULL, name_latin TEXT, lang TEXT NOT NULL,
    form TEXT, strength TEXT, atc TEXT, registration_numbers TEXT, otc INTEGER,
    UNIQUE (source, source_id)
);

CREATE TABLE product_substances (
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    substance_id INTEGER NOT NULL REFERENCES substances(id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, substance_id)
);

-- Every spelling of a concept, as the registers give it (transliterations are made
-- at index build time, not stored).
CREATE TABLE names (
    concept_kind TEXT NOT NULL, concept_id INTEGER NOT NULL,
    name TEXT NOT NULL, lang TEXT NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (concept_kind, concept_id, name)
);

-- Codes a product is known by (register number, barcode, Morion/Optima/BaDM/Venta,
-- a chain's own code), so feeds resolve by code without the name engine.
CREATE TABLE product_codes (
    system TEXT NOT NULL, code TEXT NOT NULL,
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    PRIMARY KEY (system, code)
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    name TEXT NOT NULL, description TEXT, email TEXT, website TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE facilities (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    kind TEXT NOT NULL, name TEXT NOT NULL, organization_id INTEGER REFERENCES organizations(id),
    address TEXT, city TEXT, postcode TEXT, country TEXT,
    lat REAL, lon REAL, opening_hours TEXT, timezone TEXT,
    phones TEXT NOT NULL DEFAULT '[]', website TEXT, email TEXT, description TEXT,
    languages TEXT NOT NULL DEFAULT '[]',
    UNIQUE (source, source_id)
);

CREATE TABLE facility_ids (
    system TEXT NOT NULL, value TEXT NOT NULL,
    facility_id INTEGER NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    PRIMARY KEY (system, value)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    organization_id INTEGER REFERENCES organizations(id),
    name TEXT NOT NULL, description TEXT, status TEXT NOT NULL, email TEXT, url TEXT,
    eligibility TEXT, min_age REAL, max_age REAL, languages TEXT NOT NULL DEFAULT '[]',
    fees TEXT, application_process TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE service_at_location (
    service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    facility_id INTEGER NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, facility_id)
);

CREATE TABLE schedules (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    service_id INTEGER REFERENCES services(id) ON DELETE CASCADE,
    facility_id INTEGER REFERENCES facilities(id) ON DELETE CASCADE,
    weekday INTEGER, opens_at TEXT, closes_at TEXT, description TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE taxonomy_terms (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    code TEXT, name TEXT NOT NULL, parent TEXT, taxonomy TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE service_taxonomy (
    service_id INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    term_id INTEGER NOT NULL REFERENCES taxonomy_terms(id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, term_id)
);

CREATE TABLE publishers (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    default_currency TEXT NOT NULL DEFAULT 'UAH', created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    publisher_id INTEGER NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL, revoked_at INTEGER
);

CREATE TABLE publisher_facilities (
    publisher_id INTEGER NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    facility_id INTEGER NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    PRIMARY KEY (publisher_id, facility_id)
);

CREATE TABLE stock (
    facility_id INTEGER NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    status TEXT NOT NULL, quantity REAL, price_minor INTEGER, currency TEXT,
    checked_at INTEGER NOT NULL, source TEXT NOT NULL,
    publisher_id INTEGER REFERENCES publishers(id) ON DELETE SET NULL,
    PRIMARY KEY (facility_id, product_id)
);
CREATE INDEX stock_product ON stock (product_id);
