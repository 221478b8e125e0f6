-- medmap schema, PostgreSQL flavour. Keep in step with ../sqlite/0001_init.sql:
-- the same tables and columns, only the types differ.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE substances (
    id BIGSERIAL PRIMARY KEY,
    merge_key TEXT NOT NULL UNIQUE,
    name_en TEXT, name_uk TEXT, name_ru TEXT, atc TEXT
);

CREATE TABLE products (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    name TEXT NOT NULL, name_latin TEXT, lang TEXT NOT NULL,
    form TEXT, strength TEXT, atc TEXT, registration_numbers TEXT, otc BIGINT,
    UNIQUE (source, source_id)
);

CREATE TABLE product_substances (
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    substance_id BIGINT NOT NULL REFERENCES substances(id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, substance_id)
);

-- Every spelling of a concept, as the registers give it (transliterations are made
-- at index build time, not stored).
CREATE TABLE names (
    concept_kind TEXT NOT NULL, concept_id BIGINT NOT NULL,
    name TEXT NOT NULL, lang TEXT NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (concept_kind, concept_id, name)
);

-- Codes a product is known by (register number, barcode, Morion/Optima/BaDM/Venta,
-- a chain's own code), so feeds resolve by code without the name engine.
CREATE TABLE product_codes (
    system TEXT NOT NULL, code TEXT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    PRIMARY KEY (system, code)
);

CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    name TEXT NOT NULL, description TEXT, email TEXT, website TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE facilities (
    id BIGSERIAL PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    kind TEXT NOT NULL, name TEXT NOT NULL, organization_id BIGINT REFERENCES organizations(id),
    address TEXT, city TEXT, postcode TEXT, country TEXT,
    lat DOUBLE PRECISION, lon DOUBLE PRECISION, opening_hours TEXT, timezone TEXT,
    phones TEXT NOT NULL DEFAULT '[]', website TEXT, email TEXT, description TEXT,
    languages TEXT NOT NULL DEFAULT '[]',
    UNIQUE (source, source_id)
);

CREATE TABLE facility_ids (
    system TEXT NOT NULL, value TEXT NOT NULL,
    facility_id BIGINT NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    PRIMARY KEY (system, value)
);

CREATE TABLE services (
    id BIGSERIAL PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    organization_id BIGINT REFERENCES organizations(id),
    name TEXT NOT NULL, description TEXT, status TEXT NOT NULL, email TEXT, url TEXT,
    eligibility TEXT, min_age DOUBLE PRECISION, max_age DOUBLE PRECISION, languages TEXT NOT NULL DEFAULT '[]',
    fees TEXT, application_process TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE service_at_location (
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    facility_id BIGINT NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, facility_id)
);

CREATE TABLE schedules (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    service_id BIGINT REFERENCES services(id) ON DELETE CASCADE,
    facility_id BIGINT REFERENCES facilities(id) ON DELETE CASCADE,
    weekday BIGINT, opens_at TEXT, closes_at TEXT, description TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE taxonomy_terms (
    id BIGSERIAL PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL, source_id TEXT NOT NULL,
    code TEXT, name TEXT NOT NULL, parent TEXT, taxonomy TEXT,
    UNIQUE (source, source_id)
);

CREATE TABLE service_taxonomy (
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    term_id BIGINT NOT NULL REFERENCES taxonomy_terms(id) ON DELETE CASCADE,
    PRIMARY KEY (service_id, term_id)
);

CREATE TABLE publishers (
    id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    default_currency TEXT NOT NULL DEFAULT 'UAH', created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    publisher_id BIGINT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL, revoked_at BIGINT
);

CREATE TABLE publisher_facilities (
    publisher_id BIGINT NOT NULL REFERENCES publishers(id) ON DELETE CASCADE,
    facility_id BIGINT NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    PRIMARY KEY (publisher_id, facility_id)
);

CREATE TABLE stock (
    facility_id BIGINT NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    status TEXT NOT NULL, quantity DOUBLE PRECISION, price_minor BIGINT, currency TEXT,
    checked_at BIGINT NOT NULL, source TEXT NOT NULL,
    publisher_id BIGINT REFERENCES publishers(id) ON DELETE SET NULL,
    PRIMARY KEY (facility_id, product_id)
);
CREATE INDEX stock_product ON stock (product_id);
