-- Token exchange (RFC 8693, issue 13): the provider instances whose
-- upstream access tokens an app may exchange for ours. Stored
-- newline-joined like redirect_uris; '' (the default, every existing app)
-- means none.
-- +goose Up
ALTER TABLE clients ADD COLUMN exchange_providers TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN exchange_providers;
