package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"gatehouse/resource"
)

// Config is what the app needs to know.
type Config struct {
	Issuer, ClientID, ClientSecret string
	// BaseURL is where the app is served; the API's identifier is
	// BaseURL/api and the redirect URI BaseURL/callback.
	BaseURL string
	// HTTPClient talks to Gatehouse and the API (default: 10 s timeout).
	HTTPClient *http.Client
}

// thingsScope is the scope the API requires.
const thingsScope = "read:things"

// app holds the OAuth configuration and the signed-in users (in memory:
// an example, not a session store).
type app struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	api      string // the API's identifier: the resource we ask tokens for
	client   *http.Client
	mu       sync.Mutex
	pending  map[string]pending // by state
	sessions map[string]user    // by session cookie
}

type pending struct{ nonce, verifier string }

type user struct {
	Subject, Name string
	token         *oauth2.Token
}

// New discovers Gatehouse and returns the app's handler.
func New(ctx context.Context, cfg Config) (http.Handler, error) {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
	if err != nil {
		return nil, err
	}
	a := &app{api: cfg.BaseURL + "/api", client: cfg.HTTPClient, pending: map[string]pending{}, sessions: map[string]user{},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: cfg.BaseURL + "/callback", Scopes: []string{oidc.ScopeOpenID, "profile", thingsScope}}}
	v, err := resource.NewVerifier(ctx, resource.Config{Issuer: cfg.Issuer, Identifier: a.api, HTTPClient: cfg.HTTPClient})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("GET /things", a.things)
	mux.Handle("GET /api/things", v.Middleware(thingsScope)(http.HandlerFunc(apiThings)))
	return mux, nil
}

// login starts the code flow: state, nonce and a PKCE verifier, and the
// resource the access token is for.
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	a.mu.Lock()
	a.pending[state] = pending{nonce: nonce, verifier: verifier}
	a.mu.Unlock()
	http.Redirect(w, r, a.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("resource", a.api)), http.StatusFound)
}

// callback finishes it: the state is spent, the code exchanged with the
// PKCE verifier, the id_token and its nonce verified.
func (a *app) callback(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	a.mu.Lock()
	p, ok := a.pending[state]
	delete(a.pending, state)
	a.mu.Unlock()
	if !ok {
		http.Error(w, "unknown or used state", http.StatusBadRequest)
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		http.Error(w, "sign-in refused: "+e, http.StatusForbidden)
		return
	}
	u, err := a.finish(r.Context(), r.URL.Query().Get("code"), p)
	if err != nil {
		http.Error(w, "sign-in failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	sid := random()
	a.mu.Lock()
	a.sessions[sid] = u
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "webapp", Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusFound)
}

func (a *app) finish(ctx context.Context, code string, p pending) (user, error) {
	ctx = oidc.ClientContext(ctx, a.client)
	tok, err := a.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.verifier))
	if err != nil {
		return user{}, err
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return user{}, err
	}
	if idt.Nonce != p.nonce {
		return user{}, errors.New("the id_token's nonce is not ours")
	}
	var claims struct {
		Name     string `json:"name"`
		Username string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil {
		return user{}, err
	}
	if claims.Name == "" {
		claims.Name = claims.Username
	}
	return user{Subject: idt.Subject, Name: claims.Name, token: tok}, nil
}

func (a *app) current(r *http.Request) (user, bool) {
	c, err := r.Cookie("webapp")
	if err != nil {
		return user{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.sessions[c.Value]
	return u, ok
}

var page = template.Must(template.New("p").Parse(`<!doctype html><title>webapp</title>
{{if .User}}<p>Signed in as <strong>{{.User.Name}}</strong> ({{.User.Subject}}).</p>
<p><a href="/things">Call the API</a></p>{{if .Things}}<pre>{{.Things}}</pre>{{end}}
{{else}}<p><a href="/login">Sign in with Gatehouse</a></p>{{end}}`))

func (a *app) home(w http.ResponseWriter, r *http.Request) {
	u, ok := a.current(r)
	data := map[string]any{}
	if ok {
		data["User"] = u
	}
	_ = page.Execute(w, data)
}

// things calls the API with the user's token for it.
func (a *app) things(w http.ResponseWriter, r *http.Request) {
	u, ok := a.current(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusFound)
		return
	}
	body, err := a.callAPI(r.Context(), u.token.AccessToken)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	_ = page.Execute(w, map[string]any{"User": u, "Things": body})
}

func (a *app) callAPI(ctx context.Context, token string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.api+"/things", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("the API answered %s: %s", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
	return string(b), nil
}

// apiThings is the API: it answers whose things these are, from the
// verified token.
func apiThings(w http.ResponseWriter, r *http.Request) {
	c, _ := resource.ClaimsFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"owner": c.Subject, "app": c.ClientID, "things": []string{"a teapot", "a kite"}})
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
