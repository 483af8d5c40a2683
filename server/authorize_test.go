package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
)

// consentForm returns the consent page's hidden fields in page order, as a
// browser sends them (url.Values keeps the order of repeated names).
func consentForm(body string) url.Values {
	form := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(body, -1) {
		form.Add(m[1], htmlUnescape(m[2]))
	}
	return form
}

// appRedirectOf returns where a response sends the browser for the app.
func appRedirectOf(t *testing.T, resp *http.Response, body string) *url.URL {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("expected a redirect to the app, got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	return mustURL(t, resp.Header.Get("Location"))
}

// consentPage opens authURL in b and requires the consent page.
func consentPage(t *testing.T, b *http.Client, authURL string) string {
	t.Helper()
	resp, body := get(t, b, authURL)
	require.Equal(t, "/consent", resp.Request.URL.Path, "expected the consent page, got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	return body
}

func consentCount(t *testing.T, ts *testServer) int {
	t.Helper()
	n := 0
	for _, name := range []string{"carol", "alice"} {
		a, err := ts.Store.GetAccountByUsername(context.Background(), name)
		if err != nil {
			continue
		}
		cs, err := ts.Store.ListConsents(context.Background(), a.ID)
		require.NoError(t, err)
		n += len(cs)
	}
	return n
}

// The app smuggles decision=approve into the authorize URL; the user clicks
// Deny. The browser posts the page's fields first, then the button.
func TestConsentDenyNotOverriddenBySmuggledDecision(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile"}})
	b := signedInAgent(t, ts)
	body := consentPage(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
		oauth2.SetAuthURLParam("decision", "approve"), oauth2.SetAuthURLParam("scope", "openid profile")))
	form := consentForm(body)
	for name := range form {
		if name != "_csrf" && name != "request" {
			t.Errorf("the consent page echoes request parameter %q", name)
		}
	}
	form.Add("decision", "deny")
	back := postConsent(t, b, ts, form)
	if back.Query().Get("error") != "access_denied" || back.Query().Get("code") != "" || back.Query().Get("state") != "st" {
		t.Errorf("Deny answered %s", back)
	}
	if n := consentCount(t, ts); n != 0 {
		t.Errorf("%d consents stored after Deny", n)
	}
}

func TestConsentRepeatedDecisionRefused(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	form := consentForm(consentPage(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))))
	form.Add("decision", "approve")
	form.Add("decision", "deny")
	resp, body := postFormNoFollow(t, b, ts.URL+"/consent", form)
	expectPage(t, resp, body, http.StatusBadRequest, "")
	if n := consentCount(t, ts); n != 0 {
		t.Errorf("%d consents stored after a repeated decision", n)
	}
}

// A forged consent post (the request's parameters, no pending request from
// this server) grants nothing.
func TestConsentWithoutPendingRequest(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	_, page := get(t, b, ts.URL+"/login")
	csrf := csrfFrom(t, page)
	for name, form := range map[string]url.Values{
		"parameters only": {"client_id": {conf.ClientID}, "redirect_uri": {appRedirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s"}},
		"made-up request": {"request": {"0123456789abcdef0123456789abcdef"}, "client_id": {conf.ClientID}, "redirect_uri": {appRedirect}, "response_type": {"code"}},
		"empty request":   {"request": {""}},
	} {
		form.Set("_csrf", csrf)
		form.Set("decision", "approve")
		resp, body := postFormNoFollow(t, b, ts.URL+"/consent", form)
		if resp.StatusCode == http.StatusFound || resp.StatusCode < 400 {
			t.Errorf("%s: answered %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
		}
		expectPage(t, resp, body, resp.StatusCode, "")
	}
	if n := consentCount(t, ts); n != 0 {
		t.Errorf("%d consents stored by forged posts", n)
	}
}

var mockLinkRe = regexp.MustCompile(`href="(/login/mock[^"]*)"`)

// A decided request cannot be decided again.
func TestConsentSingleUse(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile"}})
	b := signedInAgent(t, ts)
	form := consentForm(consentPage(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))))
	form.Set("decision", "deny")
	back := postConsent(t, b, ts, form)
	require.Equal(t, "access_denied", back.Query().Get("error"), back.String())
	for _, d := range []string{"approve", "deny"} {
		form.Set("decision", d)
		resp, body := postFormNoFollow(t, b, ts.URL+"/consent", form)
		if resp.StatusCode == http.StatusFound {
			t.Errorf("a second decision (%s) answered %s", d, resp.Header.Get("Location"))
			continue
		}
		expectPage(t, resp, body, http.StatusBadRequest, "")
	}
	if n := consentCount(t, ts); n != 0 {
		t.Errorf("%d consents stored after Deny and a replayed Allow", n)
	}
}

var formActionRe = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

// response_mode=form_post: the code comes in an auto-posting page, never in a URL.
func TestFormPostResponseMode(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	authURL := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("response_mode", "form_post"))
	form := consentForm(consentPage(t, b, authURL))
	form.Set("decision", "approve")
	checkFormPost := func(what string, resp *http.Response, body string) {
		t.Helper()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || strings.Contains(resp.Request.URL.String(), "code=") {
			t.Fatalf("%s: %d %s at %s", what, resp.StatusCode, resp.Header.Get("Location"), resp.Request.URL)
		}
		if m := formActionRe.FindStringSubmatch(body); m == nil || htmlUnescape(m[1]) != appRedirect {
			t.Errorf("%s: form does not post to the redirect URI:\n%s", what, body)
		}
		f := consentForm(body)
		if f.Get("code") == "" || f.Get("state") != "st" || f.Get("iss") != ts.URL {
			t.Errorf("%s: fields %v", what, f)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action http://127.0.0.1:9") {
			t.Errorf("%s: headers %v", what, resp.Header)
		}
	}
	resp, body := postFormNoFollow(t, b, ts.URL+"/consent", form)
	checkFormPost("after consent", resp, body)
	resp, body = get(t, b, authURL)
	checkFormPost("consent remembered", resp, body)

	// Errors go the same way; fragment mode is honoured; unknown modes are refused.
	resp, body = get(t, b, authURL+"&prompt=bogus")
	if f := consentForm(body); f.Get("error") != "invalid_request" || f.Get("state") != "st" {
		t.Errorf("error in form_post: %d %s", resp.StatusCode, body)
	}
	back := authorize(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("response_mode", "fragment")), "approve")
	if f, _ := url.ParseQuery(back.Fragment); f.Get("code") == "" || back.Query().Get("code") != "" {
		t.Errorf("fragment mode: %s", back)
	}
	back = authorize(t, b, conf.AuthCodeURL("st", oauth2.SetAuthURLParam("response_mode", "carrier_pigeon")), "approve")
	if back.Query().Get("error") != "invalid_request" {
		t.Errorf("unknown response_mode: %s", back)
	}
}

// Scopes the server does not know (or the app may not ask) are dropped;
// only a request with nothing left is invalid_scope.
func TestUnknownScopesDropped(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid", "profile"}})
	b := signedInAgent(t, ts)
	v := oauth2.GenerateVerifier()
	body := consentPage(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("scope", "openid profile groups email")))
	if strings.Contains(body, "groups") || strings.Contains(body, "e-mail") {
		t.Errorf("the consent page shows dropped scopes:\n%s", body)
	}
	form := consentForm(body)
	form.Set("decision", "approve")
	back := postConsent(t, b, ts, form)
	tok, err := conf.Exchange(context.Background(), back.Query().Get("code"), oauth2.VerifierOption(v))
	require.NoError(t, err, back.String())
	if s, _ := tok.Extra("scope").(string); s != "openid profile" {
		t.Errorf("token scope = %q, want %q", s, "openid profile")
	}
	for _, scope := range []string{"groups", "email", "groups email"} {
		back := authorize(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("scope", scope)), "approve")
		if back.Query().Get("error") != "invalid_scope" {
			t.Errorf("scope %q: %s", scope, back)
		}
	}
}

// request and request_uri are refused by name, not ignored.
func TestRequestObjectsRefused(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	for param, code := range map[string]string{"request": "request_not_supported", "request_uri": "request_uri_not_supported"} {
		back := authorize(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam(param, "eyJhbGciOiJub25lIn0.e30.")), "approve")
		if back.Query().Get("error") != code || back.Query().Get("state") != "st" || back.Query().Get("code") != "" {
			t.Errorf("%s: %s", param, back)
		}
	}
}

// OIDC Core §3.1.2.1: the authorization request may be a form post from
// the app's site, without our page's CSRF token.
func TestPostAuthorizeWithoutCSRF(t *testing.T) {
	ts := startServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	v := oauth2.GenerateVerifier()
	u := mustURL(t, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)))
	resp, body := postForm(t, b, ts.URL+"/oauth2/authorize", u.Query())
	require.Equal(t, "/consent", resp.Request.URL.Path, "%d %s", resp.StatusCode, body)
	form := consentForm(body)
	form.Set("decision", "approve")
	back := postConsent(t, b, ts, form)
	require.NotEmpty(t, back.Query().Get("code"))
	// Consent remembered: the post answers at once.
	resp, body = postFormNoFollow(t, b, ts.URL+"/oauth2/authorize", u.Query())
	if back := appRedirectOf(t, resp, body); back.Query().Get("code") == "" || back.Query().Get("state") != "st" {
		t.Errorf("POST authorize: %s", back)
	}
	// Consent itself still needs the token.
	form = consentForm(consentPage(t, b, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "consent"))))
	form.Del("_csrf")
	form.Set("decision", "approve")
	resp, body = postFormNoFollow(t, b, ts.URL+"/consent", form)
	expectPage(t, resp, body, http.StatusBadRequest, "Request refused")
}

// RFC 8252 §7.3 loopback ports are for native (public) apps only, and a
// redirect URI with userinfo is never matched.
func TestAuthorizeLoopbackPorts(t *testing.T) {
	ts := startServer(t, mockOnly)
	confidential := newApp(t, ts, apps.Spec{Scopes: []string{"openid"}})
	public := newApp(t, ts, apps.Spec{Name: "CLI", Public: true, Scopes: []string{"openid"}})
	b := signedInAgent(t, ts)
	v := oauth2.GenerateVerifier()
	with := func(conf *oauth2.Config, redirect string) string {
		c := *conf
		c.RedirectURL = redirect
		return c.AuthCodeURL("st", oauth2.S256ChallengeOption(v))
	}
	for name, u := range map[string]string{
		"confidential, other port": with(confidential, "http://127.0.0.1:8080/callback"),
		"userinfo":                 with(public, "http://user@127.0.0.1:9/callback"),
		"userinfo, other port":     with(public, "http://user:pw@127.0.0.1:8080/callback"),
	} {
		resp, body := getNoFollow(t, b, u)
		expectPage(t, resp, body, http.StatusBadRequest, "")
		if loc := resp.Header.Get("Location"); loc != "" {
			t.Errorf("%s: redirected to %s", name, loc)
		}
	}
	back := authorize(t, b, with(public, "http://127.0.0.1:9/callback"), "approve") // consent once
	require.NotEmpty(t, back.Query().Get("code"), back.String())
	resp, body := getNoFollow(t, b, with(public, "http://127.0.0.1:8080/callback"))
	back = appRedirectOf(t, resp, body)
	if back.Host != "127.0.0.1:8080" || back.Query().Get("code") == "" {
		t.Errorf("public app, other port: %s", back)
	}
}

func TestDiscoveryAuthorizeFields(t *testing.T) {
	for _, reg := range []bool{false, true} {
		cfg := mockOnly
		if reg {
			cfg += "apps:\n  registration_token: " + strings.Repeat("r", 32) + "\n"
		}
		ts := startServer(t, cfg)
		resp, err := http.Get(ts.URL + "/.well-known/openid-configuration")
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		resp.Body.Close()
		if m["device_authorization_endpoint"] != ts.URL+"/oauth2/device_authorization" {
			t.Errorf("device_authorization_endpoint = %v", m["device_authorization_endpoint"])
		}
		if v, ok := m["request_uri_parameter_supported"]; !ok || v != false {
			t.Errorf("request_uri_parameter_supported = %v", v)
		}
		modes, _ := m["response_modes_supported"].([]any)
		if len(modes) != 3 || modes[2] != "form_post" {
			t.Errorf("response_modes_supported = %v", modes)
		}
		if got, ok := m["registration_endpoint"]; ok != reg || (reg && got != ts.URL+"/oauth2/register") {
			t.Errorf("registration enabled %v: registration_endpoint = %v", reg, got)
		}
	}
}
