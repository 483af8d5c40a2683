-- +goose Up
CREATE TABLE device_codes (
    id             TEXT PRIMARY KEY,
    user_code      TEXT NOT NULL UNIQUE,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope          TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    account_id     TEXT NOT NULL DEFAULT '',
    amr            TEXT NOT NULL DEFAULT '',
    auth_time      TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    last_polled_at TIMESTAMPTZ
);

-- +goose Down
DROP TABLE device_codes;
