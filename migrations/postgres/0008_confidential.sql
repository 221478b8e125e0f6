-- Confidential services and locations (PostgreSQL flavour; keep in step with
-- ../sqlite/0008_confidential.sql). A confidential record (a domestic-violence
-- shelter) is found by search, but its location's address, postcode, phones and
-- precise coordinates never leave medmap: src/privacy.rs redacts them when the
-- snapshot is built. `public_contact` is the helpline shown instead.
ALTER TABLE services ADD COLUMN confidential BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE services ADD COLUMN public_contact TEXT;
ALTER TABLE facilities ADD COLUMN confidential BOOLEAN NOT NULL DEFAULT FALSE;
