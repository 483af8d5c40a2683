package authz

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"

	"gatehouse/server/cimd"
	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// authenticateClient identifies and authenticates the client of a token,
// revocation or introspection request (RFC 6749 §2.3): HTTP Basic
// (client_secret_basic) or client_id + client_secret in the body
// (client_secret_post); a public client sends only client_id. Using both
// methods at once is refused.
func (a *Server) authenticateClient(ctx context.Context, r *tokenRequest) (store.Client, *oauth.Error) {
	id, secret, e := credentials(r)
	if e != nil {
		return store.Client{}, e
	}
	basic := r.basic
	cl, err := a.client(ctx, id)
	if de := (*cimd.Error)(nil); errors.As(err, &de) {
		return store.Client{}, invalidClient(basic, "The client metadata document cannot be used: "+de.Reason+".")
	}
	if errors.Is(err, store.ErrNotFound) {
		tokens.HashToken(secret) // same work as a known client
		return store.Client{}, invalidClient(basic, "Unknown client or wrong credentials.")
	}
	if err != nil {
		return store.Client{}, oauth.ServerError(err)
	}
	if cl.Public {
		if secret != "" {
			return store.Client{}, invalidClient(basic, "A public client has no secret.")
		}
		return cl, nil
	}
	if secret == "" || subtle.ConstantTimeCompare([]byte(tokens.HashToken(secret)), []byte(cl.SecretHash)) != 1 {
		return store.Client{}, invalidClient(basic, "Unknown client or wrong credentials.")
	}
	return cl, nil
}

// credentials are the client_id and secret a request presents, by HTTP
// Basic or in the body (never both).
func credentials(r *tokenRequest) (id, secret string, e *oauth.Error) {
	id, secret, basic := r.basicID, r.basicSecret, r.basic
	if basic {
		// RFC 6749 §2.3.1: Basic credentials are form-urlencoded.
		var err1, err2 error
		id, err1 = url.QueryUnescape(id)
		secret, err2 = url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || r.get("client_secret") != "" {
			return "", "", invalidClient(basic, "Malformed client credentials.")
		}
	} else {
		id, secret = r.get("client_id"), r.get("client_secret")
	}
	if id == "" {
		return "", "", invalidClient(basic, "Client authentication is required.")
	}
	if fid := r.get("client_id"); basic && fid != "" && fid != id {
		return "", "", oauth.InvalidRequest("client_id does not match the authenticated client.")
	}
	return id, secret, nil
}

func invalidClient(basic bool, desc string) *oauth.Error {
	e := oauth.InvalidClient(desc)
	e.Basic = basic
	return e
}

// client loads a client; a store failure other than "not found" is
// reported as such so the caller can answer server_error. An https
// client_id is resolved from its metadata document when those are on, and
// is an unknown client when they are off (even if a row for it remains);
// a refused document is a *cimd.Error, which is also store.ErrNotFound.
func (a *Server) client(ctx context.Context, id string) (store.Client, error) {
	if cimd.IsURL(id) {
		if a.Metadata == nil {
			return store.Client{}, store.ErrNotFound
		}
		return a.Metadata.Resolve(ctx, id)
	}
	cl, err := a.Store.GetClient(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Client{}, err
	}
	return cl, err
}
