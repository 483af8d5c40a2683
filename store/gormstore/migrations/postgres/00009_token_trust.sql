-- Refresh grace without forks: when a refresh token is rotated, its
-- successor's row keeps the successor's opaque token sealed with the master
-- key until grace_until (the parent's grace window). A client that presents
-- the spent parent again inside the window gets that same successor back
-- (found through the family index, then parent_id) instead of a second
-- branch; after it the sealed value is ignored, and DeleteExpired erases
-- it. Kept on the child, which is inserted anyway, rather than on the
-- parent, and without an index of its own: widening the parent's UPDATE,
-- or a parent_id index, made every rotation measurably slower, while the
-- lookup only runs for a re-presented token.
--
-- Revoked access tokens: a JWT cannot be recalled, so the IDs (jti) of
-- revoked ones are recorded until the tokens expire, and every verifier
-- checks the list. A code records the jti of the access token it issued,
-- so a replay of the code revokes that token too.
-- +goose Up
ALTER TABLE refresh_tokens ADD COLUMN sealed BYTEA;
ALTER TABLE refresh_tokens ADD COLUMN grace_until TIMESTAMPTZ;

CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE auth_codes ADD COLUMN access_jti TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE auth_codes DROP COLUMN access_jti;
DROP TABLE revoked_access_tokens;
ALTER TABLE refresh_tokens DROP COLUMN grace_until;
ALTER TABLE refresh_tokens DROP COLUMN sealed;
