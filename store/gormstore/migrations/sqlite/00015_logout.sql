-- Logout (OpenID Connect RP-Initiated and Back-Channel Logout 1.0).
-- clients: where an app may send the user after signing out, and where it
-- receives back-channel logout tokens. session_clients records which apps
-- each browser session signed into, so ending a session can tell them;
-- its rows go with their session or client. auth_codes.sid carries the
-- session's public id (sid) to the id_token of the code grant.
-- +goose Up
ALTER TABLE clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE auth_codes ADD COLUMN sid TEXT NOT NULL DEFAULT '';
CREATE TABLE session_clients (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX session_clients_client ON session_clients (client_id);

-- +goose Down
DROP TABLE session_clients;
ALTER TABLE auth_codes DROP COLUMN sid;
ALTER TABLE clients DROP COLUMN backchannel_logout_session_required;
ALTER TABLE clients DROP COLUMN backchannel_logout_uri;
ALTER TABLE clients DROP COLUMN post_logout_redirect_uris;
