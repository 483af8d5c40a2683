-- Upstream tokens are not kept: identities.token_ciphertext was never
-- written (no provider feature needs an upstream token after sign-in).
-- Down brings back the empty column.
-- +goose Up
ALTER TABLE identities DROP COLUMN token_ciphertext;

-- +goose Down
ALTER TABLE identities ADD COLUMN token_ciphertext BYTEA;
