package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

type env struct {
	o       options
	client  *http.Client
	bareURL string
	cc      *app // client_credentials app
	user    *app // code + refresh app
}

type app struct{ id, secret string }

const benchRedirect = "http://127.0.0.1:1/cb"

func (e *env) scenario(ctx context.Context, name string) (scenario, error) {
	get := func(u string) func(context.Context, int) (func(context.Context) error, error) {
		return func(context.Context, int) (func(context.Context) error, error) {
			return func(ctx context.Context) error { return e.do(ctx, http.MethodGet, u, nil, nil, nil) }, nil
		}
	}
	switch name {
	case "bare-get":
		return scenario{name, get(e.bareURL), true}, nil
	case "bare-post":
		form := url.Values{"grant_type": {"client_credentials"}}
		return scenario{name, func(context.Context, int) (func(context.Context) error, error) {
			return func(ctx context.Context) error { return e.do(ctx, http.MethodPost, e.bareURL, form, nil, nil) }, nil
		}, true}, nil
	case "discovery":
		return scenario{name, get(e.o.url + "/.well-known/openid-configuration"), false}, nil
	case "jwks":
		return scenario{name, get(e.o.url + "/oauth2/jwks"), false}, nil
	case "client_credentials":
		if err := e.apps(ctx); err != nil {
			return scenario{}, err
		}
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.cc.id}, "client_secret": {e.cc.secret}}
		return scenario{name, func(context.Context, int) (func(context.Context) error, error) {
			return func(ctx context.Context) error {
				return e.do(ctx, http.MethodPost, e.o.url+"/oauth2/token", form, nil, nil)
			}, nil
		}, false}, nil
	case "refresh":
		return scenario{name, e.refreshWorker, false}, e.apps(ctx)
	case "refresh-openid":
		return scenario{name, e.refreshOpenIDWorker, false}, e.apps(ctx)
	case "refresh-resource":
		if e.o.resource == "" {
			return scenario{}, fmt.Errorf("refresh-resource needs --resource")
		}
		return scenario{name, e.refreshResourceWorker, false}, e.apps(ctx)
	case "introspect":
		return scenario{name, e.introspectWorker, false}, e.apps(ctx)
	case "users-me":
		return scenario{name, e.usersMeWorker, false}, e.apps(ctx)
	case "password":
		return scenario{name, e.passwordWorker, false}, e.apps(ctx)
	case "rs256-sign":
		return scenario{name, rs256Worker, true}, nil
	case "password-hash":
		return scenario{name, hashWorker, true}, nil
	case "code":
		return scenario{name, e.codeWorker, false}, e.apps(ctx)
	case "token-exchange":
		return scenario{name, e.exchangeWorker, false}, e.apps(ctx)
	}
	if sc, ok := e.abuseScenario(name); ok {
		return sc, nil
	}
	return scenario{}, fmt.Errorf("unknown scenario %q", name)
}

// do sends one request; a non-2xx answer is an error. out, if set, gets
// the decoded JSON.
func (e *env) do(ctx context.Context, method, u string, form url.Values, c *http.Client, out any) error {
	if c == nil {
		c = e.client
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %.200s", method, req.URL.Path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// apps registers the bench apps once (dynamic registration).
func (e *env) apps(ctx context.Context) error {
	if e.cc != nil {
		return nil
	}
	reg := func(md map[string]any) (*app, error) {
		b, _ := json.Marshal(md)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.o.url+"/oauth2/register", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.o.regToken)
		resp, err := e.client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusCreated {
			return nil, fmt.Errorf("registering a bench app: %d %v (is --registration-token right?)", resp.StatusCode, m)
		}
		id, _ := m["client_id"].(string)
		secret, _ := m["client_secret"].(string)
		return &app{id, secret}, nil
	}
	var err error
	if e.cc, err = reg(map[string]any{"client_name": "bench-cc", "grant_types": []string{"client_credentials"}, "scope": "profile"}); err != nil {
		return err
	}
	e.user, err = reg(map[string]any{"client_name": "bench-user", "grant_types": []string{"authorization_code", "refresh_token"},
		"redirect_uris": []string{benchRedirect}, "scope": "openid profile offline_access"})
	return err
}

// browser is a worker's signed-in user agent (mock provider).
func (e *env) browser(ctx context.Context) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Transport: e.client.Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(r *http.Request, _ []*http.Request) error {
			if r.URL.Host == "127.0.0.1:1" {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	if err := e.do(ctx, http.MethodGet, e.o.url+"/login/mock", nil, b, nil); err != nil {
		return nil, fmt.Errorf("mock sign-in (is the server in dev mode with a mock provider?): %w", err)
	}
	return b, nil
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// code runs the browser half of the code flow and returns a code and its
// PKCE verifier; it approves consent the first time. resource, if set,
// names the API the tokens are for.
func (e *env) code(ctx context.Context, b *http.Client, scope, resource string) (string, string, error) {
	verifier := rand.Text() + rand.Text() // 52 characters of the PKCE alphabet
	ch := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {e.user.id}, "redirect_uri": {benchRedirect}, "response_type": {"code"}, "state": {"s"},
		"scope": {scope}, "code_challenge": {base64.RawURLEncoding.EncodeToString(ch[:])}, "code_challenge_method": {"S256"}}
	if resource != "" {
		q.Set("resource", resource)
	}
	resp, err := b.Get(e.o.url + "/oauth2/authorize?" + q.Encode())
	if err != nil {
		return "", "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/consent" {
		form := url.Values{"decision": {"approve"}}
		for _, m := range hiddenRe.FindAllStringSubmatch(string(body), -1) {
			form.Set(m[1], html.UnescapeString(m[2]))
		}
		if resp, err = b.PostForm(e.o.url+"/consent", form); err != nil {
			return "", "", err
		}
		resp.Body.Close()
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", "", fmt.Errorf("authorize gave no code (status %d, location %q)", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code"), verifier, nil
}

func (e *env) exchange(ctx context.Context, code, verifier string) (map[string]any, error) {
	var m map[string]any
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {benchRedirect},
		"code_verifier": {verifier}, "client_id": {e.user.id}, "client_secret": {e.user.secret}}
	return m, e.do(ctx, http.MethodPost, e.o.url+"/oauth2/token", form, nil, &m)
}

// refreshWorker: each worker holds a chain and always uses its newest token.
func (e *env) refreshWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	return e.refreshChain(ctx, "profile offline_access", "")
}

// refreshOpenIDWorker: the same with openid, so every refresh signs an
// RS256 id_token.
func (e *env) refreshOpenIDWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	return e.refreshChain(ctx, "openid profile offline_access", "")
}

// refreshResourceWorker: the plain refresh for an API (RFC 8707): each
// refresh also reads the API and narrows the token to it.
func (e *env) refreshResourceWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	return e.refreshChain(ctx, "profile offline_access read:bench", e.o.resource)
}

func (e *env) refreshChain(ctx context.Context, scope, resource string) (func(context.Context) error, error) {
	b, err := e.browser(ctx)
	if err != nil {
		return nil, err
	}
	code, verifier, err := e.code(ctx, b, scope, resource)
	if err != nil {
		return nil, err
	}
	m, err := e.exchange(ctx, code, verifier)
	if err != nil {
		return nil, err
	}
	rt, _ := m["refresh_token"].(string)
	return func(ctx context.Context) error {
		var ans map[string]any
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {e.user.id}, "client_secret": {e.user.secret}}
		if err := e.do(ctx, http.MethodPost, e.o.url+"/oauth2/token", form, nil, &ans); err != nil {
			return err
		}
		rt, _ = ans["refresh_token"].(string)
		return nil
	}, nil
}

// codeWorker: one operation is a whole code flow, authorize + exchange.
func (e *env) codeWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	b, err := e.browser(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		code, verifier, err := e.code(ctx, b, "profile offline_access", "")
		if err != nil {
			return err
		}
		_, err = e.exchange(ctx, code, verifier)
		return err
	}, nil
}

// accessToken gets one user access token for read-side scenarios.
func (e *env) accessToken(ctx context.Context) (string, error) {
	b, err := e.browser(ctx)
	if err != nil {
		return "", err
	}
	code, verifier, err := e.code(ctx, b, "openid profile offline_access", "")
	if err != nil {
		return "", err
	}
	m, err := e.exchange(ctx, code, verifier)
	if err != nil {
		return "", err
	}
	at, _ := m["access_token"].(string)
	return at, nil
}

func (e *env) introspectWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	at, err := e.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{"token": {at}, "client_id": {e.user.id}, "client_secret": {e.user.secret}}
	return func(ctx context.Context) error {
		var m map[string]any
		if err := e.do(ctx, http.MethodPost, e.o.url+"/oauth2/introspect", form, nil, &m); err != nil {
			return err
		}
		if m["active"] != true {
			return fmt.Errorf("introspection says inactive")
		}
		return nil
	}, nil
}

func (e *env) usersMeWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	at, err := e.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.o.url+"/api/v1/users/me/", nil)
		req.Header.Set("Authorization", "JWT "+at)
		resp, err := e.client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("users/me: %d", resp.StatusCode)
		}
		return nil
	}, nil
}

// passwordWorker runs the password grant for a user made with --password-user.
func (e *env) passwordWorker(ctx context.Context, _ int) (func(context.Context) error, error) {
	if e.o.passwordUser == "" || e.o.passwordClient == "" {
		return nil, fmt.Errorf("the password scenario needs --password-user NAME:PASSWORD (gatehouse users create) and --password-client ID:SECRET (gatehouse apps create --grant password)")
	}
	user, pw, _ := strings.Cut(e.o.passwordUser, ":")
	id, secret, _ := strings.Cut(e.o.passwordClient, ":")
	form := url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}, "scope": {"profile"},
		"client_id": {id}, "client_secret": {secret}}
	return func(ctx context.Context) error {
		return e.do(ctx, http.MethodPost, e.o.url+"/oauth2/token", form, nil, nil)
	}, nil
}
