package authz

import (
	"context"
	"crypto/subtle"
	"strings"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// An API checks tokens at /oauth2/introspect with its own credentials:
// its identifier as client_id and the introspection secret `gatehouse
// apis create` printed. It learns about access tokens issued for it (aud
// names it) and nothing else.

// introspectingAPI returns the API a request authenticates as, nil when
// its client_id is no API (the request is an app's), or invalid_client
// for an API's identifier with a wrong or missing secret.
func (a *Server) introspectingAPI(ctx context.Context, r *tokenRequest) (*store.API, *oauth.Error) {
	id, secret, e := credentials(r)
	if e != nil || !strings.Contains(id, "://") {
		return nil, nil // no API's identifier: authenticateClient answers
	}
	api, err := a.Store.GetAPI(ctx, id)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	if secret == "" || api.SecretHash == "" ||
		subtle.ConstantTimeCompare([]byte(tokens.HashToken(secret)), []byte(api.SecretHash)) != 1 {
		return nil, invalidClient(r.basic, "Unknown client or wrong credentials.")
	}
	return &api, nil
}

// introspectForAPI describes an access token whose aud names api, whose
// client and account still stand; anything else is inactive.
func (a *Server) introspectForAPI(ctx context.Context, api *store.API, tok string) (map[string]any, *oauth.Error) {
	if tok == "" {
		return nil, oauth.InvalidRequest("token is required.")
	}
	claims, err := a.Issuer.VerifyAccess(ctx, tok, api.Identifier)
	if err != nil || !a.stillAllowed(ctx, claims) {
		return inactive(), nil
	}
	if _, err := a.client(ctx, claims.ClientID); err != nil {
		return inactive(), nil // the app was deleted: its tokens are done
	}
	return map[string]any{"active": true, "scope": claims.Scope, "client_id": claims.ClientID,
		"sub": claims.Subject, "exp": claims.ExpiresAt.Unix(), "iat": claims.IssuedAt.Unix(), "iss": claims.Issuer,
		"aud": claims.Audience, "jti": claims.ID, "token_type": "Bearer"}, nil
}
