-- Each signing key of an algorithm has a generation: 1 for the first, one
-- more for each rotation. (alg, generation) is unique, so when several
-- instances decide at once that a key is due, one creates it and the others
-- get a conflict instead of adding keys of their own.
-- +goose Up
ALTER TABLE signing_keys ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
UPDATE signing_keys SET generation = (
    SELECT COUNT(*) FROM signing_keys k2
    WHERE k2.alg = signing_keys.alg
      AND (k2.active_at < signing_keys.active_at OR (k2.active_at = signing_keys.active_at AND k2.id <= signing_keys.id)));
CREATE UNIQUE INDEX signing_keys_alg_generation ON signing_keys (alg, generation);

-- +goose Down
DROP INDEX signing_keys_alg_generation;
ALTER TABLE signing_keys DROP COLUMN generation;
