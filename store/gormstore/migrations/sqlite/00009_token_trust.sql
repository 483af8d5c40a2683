-- Refresh grace without forks: when a refresh token is rotated, its row
-- names its successor and keeps the successor's opaque token sealed with
-- the master key until successor_until (the grace window). A client that
-- presents the spent token again inside the window gets that same
-- successor back instead of a second branch; after it the sealed value is
-- ignored, and DeleteExpired erases it.
--
-- Revoked access tokens: a JWT cannot be recalled, so the IDs (jti) of
-- revoked ones are recorded until the tokens expire, and every verifier
-- checks the list. A code records the jti of the access token it issued,
-- so a replay of the code revokes that token too.
-- +goose Up
ALTER TABLE refresh_tokens ADD COLUMN successor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed BLOB;
ALTER TABLE refresh_tokens ADD COLUMN successor_until TIMESTAMP;

CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);

ALTER TABLE auth_codes ADD COLUMN access_jti TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE auth_codes DROP COLUMN access_jti;
DROP TABLE revoked_access_tokens;
ALTER TABLE refresh_tokens DROP COLUMN successor_until;
ALTER TABLE refresh_tokens DROP COLUMN successor_sealed;
ALTER TABLE refresh_tokens DROP COLUMN successor_id;
