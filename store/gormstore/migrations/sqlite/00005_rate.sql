-- +goose Up
CREATE TABLE rate_counters (
    key          TEXT PRIMARY KEY,
    window_start TIMESTAMP NOT NULL,
    count        INTEGER NOT NULL
);

-- +goose Down
DROP TABLE rate_counters;
