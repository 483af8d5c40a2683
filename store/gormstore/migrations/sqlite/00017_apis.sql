-- APIs as resources (RFC 8707): the registered APIs, with the scopes each
-- defines (JSON) and the SHA-256 of its introspection secret; the resource
-- a code, a device code and a refresh-token family were granted for ('' = the client).
-- +goose Up
CREATE TABLE apis (
    id                 TEXT PRIMARY KEY,
    identifier         TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL DEFAULT '',
    scopes             TEXT NOT NULL DEFAULT '[]',
    access_ttl_seconds BIGINT NOT NULL DEFAULT 0,
    secret_hash        TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL
);
ALTER TABLE refresh_tokens ADD COLUMN resource TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN resource TEXT NOT NULL DEFAULT '';
ALTER TABLE device_codes ADD COLUMN resource TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE device_codes DROP COLUMN resource;
ALTER TABLE auth_codes DROP COLUMN resource;
ALTER TABLE refresh_tokens DROP COLUMN resource;
DROP TABLE apis;
