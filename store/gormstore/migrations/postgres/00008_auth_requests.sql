-- Authorization requests waiting for sign-in or consent: the browser
-- carries only a random ID (stored here as its hash), bound to the browser
-- by a cookie whose hash is browser_hash. Single use, short-lived.
-- +goose Up
CREATE TABLE auth_requests (
    id           TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    params       TEXT NOT NULL,
    login_after  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX auth_requests_expires_at ON auth_requests (expires_at);

-- +goose Down
DROP TABLE auth_requests;
