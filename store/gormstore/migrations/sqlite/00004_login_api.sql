-- +goose Up
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);

CREATE TABLE login_states (
    id           TEXT PRIMARY KEY,
    provider     TEXT NOT NULL,
    session      TEXT NOT NULL DEFAULT '',
    redirect     TEXT NOT NULL DEFAULT '',
    result       BLOB,
    result_taken BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE login_states;
DROP TABLE api_tokens;
