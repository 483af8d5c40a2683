// Package providertest is the fake-upstream harness every provider's tests
// use: an OAuth2 authorization server on 127.0.0.1 that speaks the real
// protocol (authorize → 302 with code and state, PKCE S256 checked at the
// token endpoint, client credentials checked, Bearer profile) and records
// what it received. Faults are switched on per endpoint.
//
// It remembers which client each access token was issued to, and answers
// the two ways an upstream proves that: GitHub's token check
// (POST /applications/{client_id}/token) and RFC 7662 introspection. A
// test mints a token "for another app" with IssueTokenFor.
package providertest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Fault makes an endpoint misbehave.
type Fault int

// Faults an endpoint can show.
const (
	OK           Fault = iota
	Status500          // answer 500
	Garbage            // answer 200 with a body that is not JSON
	ErrorBody200       // answer 200 {"error":"bad_verification_code"} (GitHub style)
	ErrorBody400       // answer 400 {"error":"invalid_grant"}
	Hang               // block until the client gives up
	FormEncoded        // token endpoint: answer application/x-www-form-urlencoded
	Status422          // answer 422 {"message":"Validation Failed"} (GitHub style)
)

// Fake is a fake upstream OAuth2 provider.
type Fake struct {
	*httptest.Server
	ClientID, ClientSecret string
	// Paths of the endpoints (set before the first request).
	AuthorizePath, TokenPath, ProfilePath, EmailsPath, DevicePath string
	// CheckTokenPath is GitHub's token check for ClientID
	// (/applications/{client_id}/token); IntrospectPath is RFC 7662's.
	CheckTokenPath, IntrospectPath string
	// Profile is the JSON document the profile endpoint returns.
	Profile any
	// Emails is what EmailsPath returns (GitHub).
	Emails any
	// Faults per path.
	Faults map[string]Fault
	// QueryTokens: the profile endpoints also take ?access_token= (as goth's
	// gitea provider sends it). Off by default, so a provider of ours that
	// puts a token in a URL fails its tests.
	QueryTokens bool

	mu     sync.Mutex
	grants map[string]grant  // code → what authorize saw
	tokens map[string]issued // issued access tokens
	Seen   []Request         // every request, in order
	hang   chan struct{}
	oidc   *oidcKey // set by EnableOIDC
	// GitHub memberships (github.go): OrgsPath and TeamsPath list Orgs
	// ("acme") and Teams ("acme/ops") to tokens granted read:org, at most
	// PageSize (GitHub: 100) per page. Change them with SetMemberships while the fake serves.
	OrgsPath, TeamsPath string
	Orgs, Teams         []string
	PageSize            int
	// DenyScopes are scopes the user withholds at authorize: tokens from
	// that grant lack them (GitHub lets the user decline read:org).
	DenyScopes []string
	// IDTokenOmit are Profile claims left out of the id_token (userinfo
	// still has them).
	IDTokenOmit []string
	// DeviceNext is what the next device-code poll answers: an RFC 8628
	// error code ("authorization_pending", "slow_down", "expired_token",
	// "access_denied") or "" to hand out a token.
	DeviceNext string
}

// issued is what the fake knows of an access token it issued.
type issued struct {
	clientID string // the client it was issued to
	revoked  bool   // introspection answers active: false
	// scopes granted, space-separated; only for code grants (others may
	// do everything).
	scopes string
	scoped bool
}

type grant struct {
	redirectURI, challenge, method, scope string
}

// Request is what the fake recorded of one request.
type Request struct {
	Method, Path string
	Header       http.Header
	Query        url.Values
	Form         url.Values
}

// New starts a fake with GitHub-like paths; tests may change them before use.
func New(t testing.TB) *Fake {
	f := &Fake{ClientID: "client-1", ClientSecret: "secret-1",
		AuthorizePath: "/login/oauth/authorize", TokenPath: "/login/oauth/access_token",
		ProfilePath: "/user", EmailsPath: "/user/emails", DevicePath: "/login/device/code",
		CheckTokenPath: "/applications/client-1/token", IntrospectPath: "/oauth/introspect",
		OrgsPath: "/user/orgs", TeamsPath: "/user/teams", PageSize: 100,
		Faults: map[string]Fault{}, grants: map[string]grant{}, tokens: map[string]issued{}, hang: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() { close(f.hang); f.Server.Close() })
	return f
}

// URL of a path on the fake.
func (f *Fake) At(path string) string { return f.Server.URL + path }

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.Seen = append(f.Seen, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Query: r.URL.Query(), Form: r.PostForm})
	fault := f.Faults[r.URL.Path]
	f.mu.Unlock()
	if f.fault(w, r, fault) {
		return
	}
	switch r.URL.Path {
	case f.AuthorizePath:
		f.authorize(w, r)
	case f.TokenPath:
		f.token(w, r, fault)
	case f.ProfilePath:
		f.bearerJSON(w, r, f.Profile)
	case f.EmailsPath:
		f.bearerJSON(w, r, f.Emails)
	case f.DevicePath:
		f.deviceCode(w, r)
	case f.CheckTokenPath:
		f.checkToken(w, r)
	case f.IntrospectPath:
		f.introspect(w, r)
	case f.OrgsPath, f.TeamsPath:
		f.memberships(w, r)
	default:
		if !f.serveOIDC(w, r) {
			http.NotFound(w, r)
		}
	}
}

// fault answers for the common faults and reports whether it did.
func (f *Fake) fault(w http.ResponseWriter, r *http.Request, fault Fault) bool {
	switch fault {
	case Status500:
		http.Error(w, "upstream broke", http.StatusInternalServerError)
	case Garbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("<html>not json"))
	case ErrorBody200:
		writeJSON(w, http.StatusOK, map[string]string{"error": "bad_verification_code"})
	case ErrorBody400:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
	case Status422:
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Validation Failed"})
	case Hang:
		select {
		case <-r.Context().Done():
		case <-f.hang:
		}
	default:
		return false
	}
	return true
}

// authorize plays the user approving: it remembers the request and sends
// the browser back with a code. ?deny in the redirect asks for a denial.
func (f *Fake) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != f.ClientID || q.Get("response_type") != "code" {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("state", q.Get("state"))
	code := randomish()
	f.mu.Lock()
	f.grants[code] = grant{redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"),
		scope: withhold(q.Get("scope"), f.DenyScopes)}
	f.mu.Unlock()
	v.Set("code", code)
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token checks client authentication, the code, redirect_uri and PKCE.
func (f *Fake) token(w http.ResponseWriter, r *http.Request, fault Fault) {
	// Device-flow polls carry only client_id (as GitHub's do); other grants
	// authenticate the client with its secret in the body.
	device := r.PostForm.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code"
	id, secret, basic := r.BasicAuth() // client_secret_basic (OpenID Connect's default)
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if r.Method != http.MethodPost || id != f.ClientID || (!device && secret != f.ClientSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		f.codeGrant(w, r, fault)
	case "refresh_token":
		f.issue(w, fault, r.PostForm.Get("refresh_token") != "", nil)
	case "urn:ietf:params:oauth:grant-type:device_code":
		f.devicePoll(w, r)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
	}
}

func (f *Fake) codeGrant(w http.ResponseWriter, r *http.Request, fault Fault) {
	code := r.PostForm.Get("code")
	f.mu.Lock()
	g, ok := f.grants[code]
	delete(f.grants, code) // single use
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "unknown code"})
	case g.redirectURI != r.PostForm.Get("redirect_uri"):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
	case g.challenge != "" && (g.method != "S256" || g.challenge != base64.RawURLEncoding.EncodeToString(sum[:])):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "PKCE verification failed"})
	default:
		f.issue(w, fault, true, &g.scope)
	}
}

// issue answers a fresh access token (and refresh token) with the granted
// scopes (nil: not limited).
func (f *Fake) issue(w http.ResponseWriter, fault Fault, ok bool, scopes *string) {
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	at := f.IssueToken()
	if scopes != nil {
		f.mu.Lock()
		f.tokens[at] = issued{clientID: f.ClientID, scopes: *scopes, scoped: true}
		f.mu.Unlock()
	}
	if fault == FormEncoded {
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte(url.Values{"access_token": {at}, "token_type": {"bearer"}, "scope": {"read:user"}}.Encode()))
		return
	}
	ans := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-" + at}
	if f.oidc != nil {
		ans["id_token"] = f.idToken()
	}
	writeJSON(w, http.StatusOK, ans)
}

// bearerJSON serves doc to holders of an issued token.
func (f *Fake) bearerJSON(w http.ResponseWriter, r *http.Request, doc any) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok && f.QueryTokens {
		tok = r.URL.Query().Get("access_token")
		ok = tok != ""
	}
	f.mu.Lock()
	_, valid := f.tokens[tok]
	valid = valid && ok
	f.mu.Unlock()
	if !valid {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]string{{"message": "Unauthorized"}}})
		return
	}
	if raw, isRaw := doc.(string); isRaw {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(raw))
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

// IssueToken mints an access token the fake accepts, issued to ClientID
// (for token-verifier tests).
func (f *Fake) IssueToken() string { return f.IssueTokenFor(f.ClientID) }

// IssueTokenFor mints an access token issued to another client: the
// profile endpoint accepts it (it is the user's token), but the token
// check and introspection say whose client it belongs to.
func (f *Fake) IssueTokenFor(clientID string) string {
	at := randomish()
	f.mu.Lock()
	f.tokens[at] = issued{clientID: clientID}
	f.mu.Unlock()
	return at
}

// Revoke makes introspection answer active: false for token.
func (f *Fake) Revoke(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t, ok := f.tokens[token]; ok {
		t.revoked = true
		f.tokens[token] = t
	}
}

// lookup returns what the fake knows of token.
func (f *Fake) lookup(token string) (issued, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tokens[token]
	return t, ok
}

// checkToken is GitHub's POST /applications/{client_id}/token: the app
// authenticates with Basic auth; 200 with the app and user for a token
// issued to this app, 404 for any other token, 422 without one.
func (f *Fake) checkToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || id != f.ClientID || secret != f.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Requires authentication"})
		return
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || body.AccessToken == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Validation Failed"})
		return
	}
	t, known := f.lookup(body.AccessToken)
	if !known || t.clientID != f.ClientID {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": body.AccessToken, "app": map[string]any{"client_id": t.clientID, "name": "Gatehouse"},
		"user": f.Profile})
}

// introspect is RFC 7662 token introspection; the caller authenticates
// with Basic auth. Unknown and revoked tokens are inactive; active ones
// name the client they were issued to (client_id and aud).
func (f *Fake) introspect(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || id != f.ClientID || secret != f.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	t, known := f.lookup(r.PostForm.Get("token"))
	if !known || t.revoked {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": true, "client_id": t.clientID, "aud": t.clientID, "token_type": "Bearer"})
}

// Requests returns the recorded requests to path.
func (f *Fake) Requests(path string) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.Seen {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomish() string { return rand.Text() }
