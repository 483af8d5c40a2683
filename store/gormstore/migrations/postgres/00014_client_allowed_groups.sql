-- An app may name the groups whose members may use it (issue 12). Stored
-- newline-joined like redirect_uris; '' (the default, every existing app)
-- means everyone may.
-- +goose Up
ALTER TABLE clients ADD COLUMN allowed_groups TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE clients DROP COLUMN allowed_groups;
