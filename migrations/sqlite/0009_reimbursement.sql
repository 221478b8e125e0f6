-- Reimbursement programmes a pharmacy dispenses under (SQLite flavour; keep in step with
-- ../postgres/0009_reimbursement.sql), as a JSON list of programme ids such as
-- "UA:affordable-medicines" (Ukraine's "Доступні ліки"): where a patient can get a
-- reimbursed prescription is what they ask first.
ALTER TABLE facilities ADD COLUMN reimbursement TEXT NOT NULL DEFAULT '[]';
