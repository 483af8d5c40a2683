-- How a client came to be (kind: '' for an operator's or a user's app,
-- 'dynamic' for RFC 7591 registration, 'metadata_document' for an https
-- client_id resolved from its Client ID Metadata Document) and when it was
-- last used (recorded at most once a day), so idle dynamic clients can be
-- deleted. Existing dynamic clients cannot be told apart and stay ''.
-- +goose Up
ALTER TABLE clients ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN last_used_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE clients DROP COLUMN last_used_at;
ALTER TABLE clients DROP COLUMN kind;
