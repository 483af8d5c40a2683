-- An app is vetted when an operator made it (the CLI, or an administrator
-- on /apps). Authorization errors of unvetted apps are shown as a page with
-- a link instead of an automatic redirect (RFC 9700 §4.11.2: no open
-- redirector).
-- Existing rows: apps without an owner were made by the CLI (or by dynamic
-- registration, which holders of the operator's registration token use and
-- which cannot be told apart) and count as vetted; apps made on /apps count
-- as vetted when their owner is an administrator now.
-- +goose Up
ALTER TABLE clients ADD COLUMN vetted BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE clients SET vetted = TRUE
WHERE owner_id = '' OR owner_id IN (SELECT id FROM accounts WHERE is_admin = TRUE);

-- +goose Down
ALTER TABLE clients DROP COLUMN vetted;
