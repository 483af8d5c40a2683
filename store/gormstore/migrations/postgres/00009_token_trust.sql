-- Refresh grace without forks: when a refresh token is rotated, its row
-- names its successor and keeps the successor's opaque token sealed with
-- the master key until successor_until (the grace window). A client that
-- presents the spent token again inside the window gets that same
-- successor back instead of a second branch; after it the sealed value is
-- ignored, and DeleteExpired erases it.
-- +goose Up
ALTER TABLE refresh_tokens ADD COLUMN successor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed BYTEA;
ALTER TABLE refresh_tokens ADD COLUMN successor_until TIMESTAMPTZ;

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN successor_until;
ALTER TABLE refresh_tokens DROP COLUMN successor_sealed;
ALTER TABLE refresh_tokens DROP COLUMN successor_id;
