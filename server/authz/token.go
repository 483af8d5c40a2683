package authz

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// tokenResponse is RFC 6749 §5.1 plus OIDC's id_token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// IssuedTokenType answers a token exchange (RFC 8693 §2.2.1).
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// grant is one grant type's handler: it runs after the client is
// authenticated and allowed the grant, and sees only the parsed body.
type grant func(ctx context.Context, r *tokenRequest, cl store.Client) (*tokenResponse, *oauth.Error)

// token is POST /oauth2/token: the body parsed, the grant run, the answer
// never cached.
func (a *Server) token(c echo.Context) error {
	r, e := readRequest(c)
	if e != nil {
		return e
	}
	resp, e := a.exchange(c.Request().Context(), r)
	if e != nil {
		return e
	}
	return noStoreJSON(c, resp)
}

// exchange runs a token request through the same phases for every grant:
// authenticate the client → check the client may use the grant → the
// grant proves what it grants → respond. No grant can skip a shared step.
func (a *Server) exchange(ctx context.Context, r *tokenRequest) (*tokenResponse, *oauth.Error) {
	gt := r.get("grant_type")
	g, ok := a.grants()[gt]
	if !ok {
		if gt == "" {
			return nil, oauth.InvalidRequest("grant_type is required.")
		}
		return nil, oauth.UnsupportedGrantType("Unsupported grant_type.")
	}
	cl, e := a.authenticateClient(ctx, r)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(cl.GrantTypes, gt) {
		return nil, oauth.UnauthorizedClient("This application may not use the " + gt + " grant.")
	}
	resp, e := g(ctx, r, cl)
	if e != nil {
		return nil, e
	}
	if strings.EqualFold(r.get("token_type"), "jwt") {
		resp.TokenType = "JWT" // Open edX clients ask for it (seed 003)
	}
	a.touch(ctx, cl)
	return resp, nil
}

// touch records that a registered or metadata-document client was used,
// so idle dynamic clients can be deleted: a write only when the recorded
// use is a day old (the client read here is cached). A failure is logged;
// the tokens are already issued.
func (a *Server) touch(ctx context.Context, cl store.Client) {
	if cl.Kind == "" || a.Now().Sub(cl.LastUsedAt) < store.TouchEvery {
		return
	}
	if err := a.Store.TouchClient(ctx, cl.ID, a.Now()); err != nil {
		a.Log.Warn("recording a client's use", "client", cl.ID, "err", err)
		return
	}
	if cl.Kind == store.ClientMetadataDocument && a.Metadata != nil {
		a.Metadata.Used(cl.ID, a.Now())
	}
}

func (a *Server) grants() map[string]grant {
	return map[string]grant{
		oauth.GrantAuthorizationCode: a.codeGrant,
		oauth.GrantRefreshToken:      a.refreshGrant,
		oauth.GrantClientCredentials: a.clientCredentialsGrant,
		oauth.GrantPassword:          a.passwordGrant,
		oauth.GrantDeviceCode:        a.deviceGrant,
		oauth.GrantTokenExchange:     a.exchangeGrant,
	}
}

// userTokens is the respond phase of the user grants: an access token, a
// refresh token when the client may refresh (and, for OpenID requests,
// asked for offline_access), and an id_token for openid.
type userTokens struct {
	client   store.Client
	account  store.Account
	scope    []string
	authTime time.Time
	amr      string
	nonce    string
	sid      string // the browser session's public id, for the id_token
	// refresh, if set, is the refresh token to hand back (rotated, or made
	// with the code) instead of starting a new family.
	refresh string
	// jti, if set, is the access token's ID (recorded before signing).
	jti string
	// family, if set, is the refresh family the grant holds (rotated or
	// made with the code): revoked when the account may no longer use the
	// app, so the refusal is final.
	family string
	ip     string // the client's address, for the audit log
	// accessOnly: answer the access token alone, no refresh or id_token
	// (token exchange: the app asked for an access token).
	accessOnly bool
	// api is the API the tokens are for (RFC 8707); nil: the client.
	api *store.API
}

func (a *Server) respondUser(ctx context.Context, u userTokens) (*tokenResponse, *oauth.Error) {
	groups, ok, err := a.grantGroups(ctx, u.client, u.account.ID, u.scope)
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	if !ok {
		return nil, a.refuseGrant(ctx, u)
	}
	scope := oauth.JoinScope(u.scope)
	req := a.accessRequest(u.client, u.account.ID, scope, u.authTime, u.amr)
	req.ID, req.Groups = u.jti, groups
	if slices.Contains(u.scope, "email") { // forAPI takes it out again for an API
		req.Email, req.EmailVerified = u.account.Email, u.account.EmailVerified
	}
	ttl := forAPI(&req, u.api, u.client.AccessTTL) // before req is passed: it narrows req
	at, exp, err := a.Issuer.IssueAccessTTL(ctx, req, ttl)
	if err != nil {
		return nil, oauth.ServerError(err)
	}
	resp := &tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(a.Now()).Seconds()), Scope: scope, RefreshToken: u.refresh}
	if u.accessOnly {
		resp.IssuedTokenType = oauth.TokenTypeAccessToken
		return resp, nil
	}
	if resp.RefreshToken == "" && a.mayRefresh(u.client, u.scope) {
		rt, _, err := a.Refresher.Issue(ctx, tokens.Grant{AccountID: u.account.ID, ClientID: u.client.ID, Scope: scope, AMR: u.amr,
			AuthTime: u.authTime, IdleTTL: u.client.RefreshIdleTTL, Resource: resourceID(u.api)})
		if err != nil {
			return nil, oauth.ServerError(err)
		}
		resp.RefreshToken = rt
	}
	if slices.Contains(u.scope, "openid") {
		id, err := a.Issuer.IssueIDToken(ctx, tokens.IDRequest{Subject: u.account.ID, ClientID: u.client.ID, Nonce: u.nonce,
			AuthTime: u.authTime, AMR: amrList(u.amr), AccessToken: at, Claims: userClaims(u.account, u.scope, groups), Alg: u.client.IDTokenAlg, SID: u.sid})
		if err != nil {
			return nil, oauth.ServerError(err)
		}
		resp.IDToken = id
	}
	return resp, nil
}

// refuseGrant is the answer to an account outside the app's allowed
// groups at the token endpoint: the grant's refresh family (if any) is
// revoked and the event recorded.
func (a *Server) refuseGrant(ctx context.Context, u userTokens) *oauth.Error {
	if u.family != "" {
		if err := a.Store.RevokeRefreshFamily(ctx, u.family, a.Now()); err != nil {
			return oauth.ServerError(err)
		}
	}
	a.auditAt(ctx, u.ip, "app_access_denied", u.account.ID, u.client.ID)
	return oauth.InvalidGrant(notInGroup().Description)
}

// mayRefresh: the client must be allowed the refresh grant; OpenID requests
// must also ask for offline_access (OIDC Core §11).
func (a *Server) mayRefresh(cl store.Client, scope []string) bool {
	if !slices.Contains(cl.GrantTypes, oauth.GrantRefreshToken) {
		return false
	}
	return !slices.Contains(scope, "openid") || slices.Contains(scope, "offline_access")
}

func amrList(amr string) []string {
	if amr == "" {
		return nil
	}
	return []string{amr}
}

// userClaims are the scope-dependent OIDC claims of an account; groups
// are its groups when the groups scope is granted (grantGroups).
func userClaims(acct store.Account, scope, groups []string) map[string]any {
	m := map[string]any{}
	if slices.Contains(scope, "profile") {
		m["preferred_username"] = acct.Username
		setIf(m, "name", acct.Name)
		setIf(m, "given_name", acct.GivenName)
		setIf(m, "family_name", acct.FamilyName)
		if isHTTPS(acct.AvatarURL) {
			m["picture"] = acct.AvatarURL // apps put it in <img src>: no javascript:, no mixed content
		}
		m["updated_at"] = acct.UpdatedAt.Unix()
	}
	if slices.Contains(scope, "email") && acct.Email != "" {
		m["email"] = acct.Email
		m["email_verified"] = acct.EmailVerified
	}
	if len(groups) > 0 && slices.Contains(scope, oauth.ScopeGroups) {
		m["groups"] = groups
	}
	return m
}

// isHTTPS reports an absolute https URL with a host.
func isHTTPS(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

func setIf(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// auditAt records a security event of a request known by its IP (the
// grants see no echo.Context).
func (a *Server) auditAt(ctx context.Context, ip, typ, accountID, clientID string) {
	a.Audit.Record(ctx, a.event(ip, typ, accountID, clientID))
}

// event is the audit event of an account's action on a client.
func (a *Server) event(ip, typ, accountID, clientID string) store.AuditEvent {
	return store.AuditEvent{ID: store.NewID(), Time: a.Now(), Type: typ, AccountID: accountID,
		IP: ip, Detail: store.Detail("client_id", clientID)}
}

// activeAccount loads the account a grant acts for; a missing or disabled
// account makes the grant invalid.
func (a *Server) activeAccount(ctx context.Context, id string) (store.Account, *oauth.Error) {
	return checkAccount(a.Store.GetAccount(ctx, id))
}

// checkAccount turns a read account into a usable one or a grant error.
func checkAccount(acct store.Account, err error) (store.Account, *oauth.Error) {
	if isNotFound(err) || (err == nil && acct.Disabled) {
		return store.Account{}, oauth.InvalidGrant("The account is unavailable.")
	}
	if err != nil {
		return store.Account{}, oauth.ServerError(err)
	}
	return acct, nil
}
