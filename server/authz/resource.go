package authz

import (
	"context"
	"slices"
	"time"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// Resource indicators (RFC 8707). A request names at most one API with
// resource=; its access token then has aud = the API's identifier and
// carries only the scopes the API defines. The other granted scopes
// (openid, profile, offline_access, …) still shape the id_token and the
// refresh token, which remembers the API: a refresh is for the same API
// (or names none) and never for another.

// resourceOf returns the API named by the resource parameter's values:
// nil for none, invalid_target for several or an unknown one.
func (a *Server) resourceOf(ctx context.Context, values []string) (*store.API, *oauth.Error) {
	switch len(values) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, oauth.InvalidTarget("Name one resource per request.")
	}
	return a.lookupAPI(ctx, a.Store, values[0])
}

// lookupAPI returns the API registered as identifier ("": none).
func (a *Server) lookupAPI(ctx context.Context, st store.APIs, identifier string) (*store.API, *oauth.Error) {
	if identifier == "" {
		return nil, nil
	}
	api, err := st.GetAPI(ctx, identifier)
	if isNotFound(err) {
		return nil, oauth.InvalidTarget("The resource " + clip(identifier, 100) + " is not a registered API.")
	}
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	return &api, nil
}

// sameResource checks the resource a token request names against the one
// granted (by the code or the refresh token): none means the granted one.
func sameResource(r *tokenRequest, granted string) *oauth.Error {
	asked := r.form["resource"]
	if len(asked) > 1 {
		return oauth.InvalidTarget("Name one resource per request.")
	}
	if len(asked) == 1 && asked[0] != granted {
		return oauth.InvalidTarget("The resource differs from the one this grant was made for.")
	}
	return nil
}

// noResource refuses a resource parameter at a grant that does not
// support it, rather than issue a token for another audience than asked.
func noResource(r *tokenRequest) *oauth.Error {
	if r.form.Has("resource") {
		return oauth.InvalidTarget("This grant does not take a resource.")
	}
	return nil
}

// apiScope reports whether api (nil: none) defines scope s.
func apiScope(api *store.API, s string) bool {
	if api == nil {
		return false
	}
	_, ok := api.Scope(s)
	return ok
}

// forAPI turns req into a token for api (nil: unchanged): aud is the API
// alone and the scope is the granted scopes the API defines. It returns
// the token's lifetime: the API's, else the client's.
func forAPI(req *tokens.AccessRequest, api *store.API, clientTTL time.Duration) time.Duration {
	if api == nil {
		return clientTTL
	}
	req.Audience = []string{api.Identifier}
	// The API gets only what it defines: the groups and the address the
	// user granted the app are the app's.
	req.Groups, req.Email, req.EmailVerified = nil, "", false
	var scope []string
	for _, s := range oauth.ParseScope(req.Scope) {
		if apiScope(api, s) {
			scope = append(scope, s)
		}
	}
	req.Scope = oauth.JoinScope(scope)
	if api.AccessTTL > 0 {
		return api.AccessTTL
	}
	return clientTTL
}

// describeScopes is what the consent page shows: the server's scopes and
// those the API defines, with its name.
func (a *Server) describeScopes(scope []string, api *store.API) []oauth.Scope {
	out := a.Scopes.Describe(scope)
	if api == nil {
		return out
	}
	for _, s := range api.Scopes {
		if slices.Contains(scope, s.Name) {
			desc := s.Description
			if desc == "" {
				desc = "Use " + s.Name
			}
			out = append(out, oauth.Scope{Name: s.Name, Description: apiName(api) + ": " + desc})
		}
	}
	return out
}

func apiName(api *store.API) string {
	if api.Name != "" {
		return api.Name
	}
	return api.Identifier
}

// consentScopes are the names a consent records for r: an API's scopes
// qualified by its identifier (identifier#scope; an identifier has no
// fragment), so consenting to one API's "read" does not grant another's.
// (API scopes never take a built-in scope's name: apis refuses it.)
func consentScopes(r *authRequest) []string {
	out := make([]string, 0, len(r.Scope))
	for _, s := range r.Scope {
		if apiScope(r.API, s) {
			s = r.API.Identifier + "#" + s
		}
		out = append(out, s)
	}
	return oauth.ParseScope(oauth.JoinScope(out))
}

// resourceID is the identifier of api, "" for none.
func resourceID(api *store.API) string {
	if api == nil {
		return ""
	}
	return api.Identifier
}

// refreshResource refuses, before the refresh token is spent, a refresh
// that names another resource than the token was granted for. (The
// resource of a family never changes, so reading it first is no race.)
func (a *Server) refreshResource(ctx context.Context, r *tokenRequest, cl store.Client, rt string) *oauth.Error {
	if !r.form.Has("resource") {
		return nil
	}
	cur, err := a.Store.GetRefreshToken(ctx, tokens.HashToken(rt))
	if err != nil || cur.ClientID != cl.ID {
		return nil // the rotation answers for an unknown or foreign token
	}
	return sameResource(r, cur.Resource)
}

// machineAPIToken is client_credentials with a resource: a token for the
// API with the scopes it asks for that the API defines. Nobody consents
// here, so only apps an operator registered (not users' own apps, nor
// dynamic or metadata-document clients) may have one.
func (a *Server) machineAPIToken(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error) {
	api, e := a.resourceOf(ctx, r.form["resource"])
	if e != nil {
		return nil, e
	}
	if !cl.Vetted || cl.Kind != "" {
		return nil, oauth.InvalidTarget("Only operator-registered apps may get API tokens with client_credentials.")
	}
	scope := oauth.ParseScope(r.get("scope"))
	for _, s := range scope {
		if !apiScope(api, s) {
			return nil, oauth.InvalidScope("Scope " + clip(s, 40) + " is not defined by " + clip(api.Identifier, 100) + ".")
		}
	}
	req := a.accessRequest(cl, cl.ID, oauth.JoinScope(scope), time.Time{}, "")
	ttl := forAPI(&req, api, cl.AccessTTL) // before req is passed: it narrows req
	at, exp, err := a.Issuer.IssueAccessTTL(ctx, req, ttl)
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	return &tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(a.Now()).Seconds()), Scope: req.Scope}, nil
}

// grantedAPI is the API of a grant made for granted ("" for none), which
// the token request may repeat but not change.
func (a *Server) grantedAPI(ctx context.Context, r *tokenRequest, granted string) (*store.API, *oauth.Error) {
	if e := sameResource(r, granted); e != nil {
		return nil, e
	}
	return a.lookupAPI(ctx, a.Store, granted)
}
