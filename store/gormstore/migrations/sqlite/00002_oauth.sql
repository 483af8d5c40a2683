-- +goose Up
CREATE TABLE clients (
    id               TEXT PRIMARY KEY,
    secret_hash      TEXT NOT NULL DEFAULT '',
    name             TEXT NOT NULL,
    logo_url         TEXT NOT NULL DEFAULT '',
    redirect_uris    TEXT NOT NULL DEFAULT '',
    scopes           TEXT NOT NULL DEFAULT '',
    grant_types      TEXT NOT NULL DEFAULT '',
    public           BOOLEAN NOT NULL DEFAULT FALSE,
    access_ttl       BIGINT NOT NULL DEFAULT 0,
    refresh_idle_ttl BIGINT NOT NULL DEFAULT 0,
    id_token_alg     TEXT NOT NULL DEFAULT 'RS256',
    refresh_grace    BIGINT NOT NULL DEFAULT 0,
    owner_id         TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX clients_owner ON clients (owner_id);

CREATE TABLE auth_codes (
    id                    TEXT PRIMARY KEY,
    client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    account_id            TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri          TEXT NOT NULL,
    scope                 TEXT NOT NULL DEFAULT '',
    nonce                 TEXT NOT NULL DEFAULT '',
    code_challenge        TEXT NOT NULL DEFAULT '',
    code_challenge_method TEXT NOT NULL DEFAULT '',
    amr                   TEXT NOT NULL DEFAULT '',
    auth_time             TIMESTAMP NOT NULL,
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL,
    used_at               TIMESTAMP,
    family_id             TEXT NOT NULL DEFAULT ''
);

CREATE TABLE consents (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id, account_id);

-- +goose Down
DROP INDEX refresh_tokens_client;
DROP TABLE consents;
DROP TABLE auth_codes;
DROP TABLE clients;
