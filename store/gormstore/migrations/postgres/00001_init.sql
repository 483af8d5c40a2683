-- +goose Up
CREATE TABLE accounts (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    email          TEXT NOT NULL DEFAULT '',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    name           TEXT NOT NULL DEFAULT '',
    given_name     TEXT NOT NULL DEFAULT '',
    family_name    TEXT NOT NULL DEFAULT '',
    avatar_url     TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL DEFAULT '',
    is_admin       BOOLEAN NOT NULL DEFAULT FALSE,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX accounts_email ON accounts (lower(email));

CREATE TABLE identities (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    provider         TEXT NOT NULL,
    subject          TEXT NOT NULL,
    username         TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    email_verified   BOOLEAN NOT NULL DEFAULT FALSE,
    profile          BYTEA,
    token_ciphertext BYTEA,
    created_at       TIMESTAMPTZ NOT NULL,
    last_login_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, subject)
);
CREATE INDEX identities_account ON identities (account_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amr          TEXT NOT NULL DEFAULT '',
    auth_time    TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    user_agent   TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE pending_logins (
    id              TEXT PRIMARY KEY,
    provider        TEXT NOT NULL,
    session         TEXT NOT NULL,
    return_to       TEXT NOT NULL DEFAULT '',
    link_account_id TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE refresh_tokens (
    id                TEXT PRIMARY KEY,
    family_id         TEXT NOT NULL,
    parent_id         TEXT NOT NULL DEFAULT '',
    account_id        TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id         TEXT NOT NULL DEFAULT '',
    scope             TEXT NOT NULL DEFAULT '',
    amr               TEXT NOT NULL DEFAULT '',
    auth_time         TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    family_expires_at TIMESTAMPTZ NOT NULL,
    rotated_at        TIMESTAMPTZ,
    revoked_at        TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);

CREATE TABLE signing_keys (
    id                 TEXT PRIMARY KEY,
    alg                TEXT NOT NULL,
    private_ciphertext BYTEA NOT NULL,
    public_jwk         BYTEA NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    active_at          TIMESTAMPTZ NOT NULL,
    retire_at          TIMESTAMPTZ,
    expire_at          TIMESTAMPTZ
);

CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    time       TIMESTAMPTZ NOT NULL,
    type       TEXT NOT NULL,
    account_id TEXT NOT NULL DEFAULT '',
    provider   TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_account_time ON audit_events (account_id, time);
CREATE INDEX audit_events_time ON audit_events (time);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE signing_keys;
DROP TABLE refresh_tokens;
DROP TABLE pending_logins;
DROP TABLE sessions;
DROP TABLE identities;
DROP TABLE accounts;
