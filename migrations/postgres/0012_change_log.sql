-- The change log (PostgreSQL flavour; keep in step with ../sqlite/0012_change_log.sql):
-- every write that changes what a snapshot shows appends one row here in its own
-- transaction, so replicas (and outside followers such as a search mirror) read
-- "what changed after position N" by `seq`. The log is the truth; the NOTIFY the
-- trigger sends is only a wake-up (its payload is the new `seq`).
--
-- `seq` must grow in COMMIT order, or a follower that read up to 11 would never see
-- a 10 committed later. A sequence alone gives insert order, so the BEFORE trigger
-- first takes a transaction-level advisory lock (held until commit or rollback)
-- and only then draws the number: appends are serialised from the log insert to the
-- commit. Writers insert their log row last, right before COMMIT, so the lock is
-- held for the commit only. The lock key is per schema, so tests (one schema each)
-- do not serialise each other.
CREATE SEQUENCE change_log_seq;
CREATE TABLE change_log (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX change_log_created ON change_log (created_at);

CREATE FUNCTION change_log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('medmap.change_log:' || current_schema()));
    NEW.seq := nextval('change_log_seq');
    RETURN NEW;
END
$$;
CREATE TRIGGER change_log_stamp BEFORE INSERT ON change_log
    FOR EACH ROW EXECUTE FUNCTION change_log_stamp();

CREATE FUNCTION change_log_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('medmap_changes', NEW.seq::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER change_log_notify AFTER INSERT ON change_log
    FOR EACH ROW EXECUTE FUNCTION change_log_notify();
