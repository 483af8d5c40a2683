-- The browser session a refresh-token family was granted in (the code's
-- sid), so a refresh's id_token carries the same sid as the code grant's
-- and back-channel-logout apps can match it. '' (every existing family):
-- none.
-- +goose Up
ALTER TABLE refresh_tokens ADD COLUMN sid TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN sid;
