-- Team access, first part: local groups, the groups of each account with
-- their source, and sign-up invites.
-- An account's groups come from an administrator (source "local", with
-- group_id naming the local group, so deleting the group ends them) or
-- from a provider at sign-in (source "provider:NAME", group_id NULL: the
-- provider names its own groups), so a sign-in replaces only its own
-- provider's rows.
-- An invite keeps only the SHA-256 of its token; redeemed_at is set once,
-- by a conditional UPDATE.
-- +goose Up
CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE account_groups (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    source     TEXT NOT NULL,
    group_id   TEXT REFERENCES groups (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, group_name, source)
);
CREATE INDEX account_groups_group ON account_groups (group_id);

CREATE TABLE invites (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    is_admin    BOOLEAN NOT NULL DEFAULT FALSE,
    group_names TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    redeemed_at TIMESTAMPTZ,
    redeemed_by TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE invites;
DROP TABLE account_groups;
DROP TABLE groups;
