package apps

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"

	"gatehouse/server/oauth"
	"gatehouse/store"
)

// document is a Client ID Metadata Document: registration metadata plus
// the client_id it must state, and the fields such a client must not have.
type document struct {
	metadata
	ClientID              string          `json:"client_id"`
	ClientSecret          json.RawMessage `json:"client_secret"`
	ClientSecretExpiresAt json.RawMessage `json:"client_secret_expires_at"`
}

// FromDocument checks a Client ID Metadata Document fetched from clientID
// (draft-ietf-oauth-client-id-metadata-document §4) like registration
// metadata, and returns the client it describes. Such a client has no
// secret to keep, so it is public (PKCE is then required) and may not use
// the grants a public or unvetted app may not.
func FromDocument(clientID string, body []byte, scopes *oauth.Scopes) (store.Client, error) {
	var doc document
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&doc); err != nil {
		return store.Client{}, errors.New("the document is not a JSON object of client metadata")
	}
	switch {
	case doc.ClientID != clientID:
		return store.Client{}, errors.New("the document's client_id is not the URL it was fetched from")
	case doc.ClientSecret != nil || doc.ClientSecretExpiresAt != nil:
		return store.Client{}, errors.New("the document must not contain a client secret")
	case doc.TokenEndpointAuthMethod != "" && doc.TokenEndpointAuthMethod != oauth.AuthNone:
		return store.Client{}, errors.New("token_endpoint_auth_method must be none (such clients have no secret)")
	}
	doc.TokenEndpointAuthMethod = oauth.AuthNone
	if doc.ClientName == "" {
		u, _ := url.Parse(clientID)
		doc.ClientName = u.Host
	}
	spec, e := doc.spec()
	if e != nil {
		return store.Client{}, errors.New(e.Description)
	}
	if err := Validate(&spec, scopes); err != nil {
		return store.Client{}, err
	}
	return store.Client{ID: clientID, Name: spec.Name, LogoURL: spec.LogoURL, RedirectURIs: spec.RedirectURIs,
		Scopes: spec.Scopes, GrantTypes: spec.GrantTypes, Public: true, IDTokenAlg: spec.IDTokenAlg,
		Kind: store.ClientMetadataDocument}, nil
}
