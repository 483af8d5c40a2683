-- +goose Up
ALTER TABLE login_states ADD COLUMN confirm_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE login_states DROP COLUMN confirm_hash;
