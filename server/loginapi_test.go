package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	cli "gatehouse/examples/cli/login"
	"gatehouse/providers/providertest"
)

func loginClient(ts *testServer) *cli.Client {
	return &cli.Client{BaseURL: ts.URL, HTTP: http.DefaultClient, Wait: func(context.Context, time.Duration) error { return nil }}
}

func TestTokenExchange(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	exchange := func(q url.Values) (*http.Response, map[string]any) {
		return call(t, http.MethodPost, ts.URL+"/v1/oauth2?"+q.Encode(), "", nil, nil)
	}
	upstreamTok := up.gh.IssueToken()
	resp, m := exchange(url.Values{"provider": {"github"}, "access-token": {upstreamTok}})
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	data, _ := m["data"].(map[string]any)
	secret, _ := m["secret"].(map[string]any)
	if data["id"] == "" || data["accountId"] == "" || data["createdAt"] == "" || data["expiresAt"] == "" || secret["value"] == "" {
		t.Fatalf("answer = %v", m)
	}
	_, m2 := exchange(url.Values{"provider": {"github"}, "access-token": {up.gh.IssueToken()}})
	if m2["data"].(map[string]any)["accountId"] != data["accountId"] {
		t.Errorf("a second exchange for the same upstream user made another account")
	}
	// The secret works at /v1/login/token and /api/v1/users/me/.
	resp, info := call(t, http.MethodGet, ts.URL+"/v1/login/token", "", nil, http.Header{"Authorization": {"Bearer " + secret["value"].(string)}})
	if resp.StatusCode != http.StatusOK || info["id"] != data["id"] {
		t.Errorf("token info = %d %v", resp.StatusCode, info)
	}
	if r, who := me(t, ts, "Bearer "+secret["value"].(string)); r.StatusCode != http.StatusOK || who["username"] != "octo" {
		t.Errorf("users/me with an API token: %d %v", r.StatusCode, who)
	}

	// Every problem is listed.
	resp, m = exchange(url.Values{})
	if errs, _ := m["errors"].([]any); resp.StatusCode != http.StatusBadRequest || len(errs) != 2 {
		t.Errorf("empty request: %d %v", resp.StatusCode, m)
	}
	resp, m = exchange(url.Values{"provider": {"gitlab"}})
	if errs, _ := m["errors"].([]any); resp.StatusCode != http.StatusBadRequest || len(errs) != 2 {
		t.Errorf("unknown provider, no token: %d %v", resp.StatusCode, m)
	}
	resp, m = exchange(url.Values{"provider": {"mock"}, "access-token": {"x"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(m["errors"].([]any)[0].(string), "cannot prove a token was issued to this server") {
		t.Errorf("provider without token verification: %d %v", resp.StatusCode, m)
	}
	resp, m = exchange(url.Values{"provider": {"github"}, "access-token": {"forged-token"}})
	if resp.StatusCode != http.StatusUnauthorized || m["error"] == nil {
		t.Errorf("rejected upstream token: %d %v", resp.StatusCode, m)
	}
	for _, fault := range []providertest.Fault{providertest.Status500, providertest.Hang, providertest.Garbage} {
		up.gh.SetFault(up.gh.ProfilePath, fault)
		tok := up.gh.IssueToken()
		resp, m = exchange(url.Values{"provider": {"github"}, "access-token": {tok}})
		if resp.StatusCode != http.StatusInternalServerError || m["error"] == nil || strings.Contains(m["error"].(string), tok) {
			t.Errorf("upstream fault %d: %d %v", fault, resp.StatusCode, m)
		}
	}
	up.gh.SetFault(up.gh.ProfilePath, providertest.OK)
}

func TestRevokedAPITokenRefused(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	_, m := call(t, http.MethodPost, ts.URL+"/v1/oauth2?"+url.Values{"provider": {"github"}, "access-token": {up.gh.IssueToken()}}.Encode(), "", nil, nil)
	data := m["data"].(map[string]any)
	secret := m["secret"].(map[string]any)["value"].(string)
	require.NoError(t, ts.Store.RevokeAPIToken(context.Background(), data["accountId"].(string), data["id"].(string), ts.Clock.Now()))
	if resp, m := call(t, http.MethodGet, ts.URL+"/v1/login/token", "", nil, http.Header{"Authorization": {"Bearer " + secret}}); resp.StatusCode != http.StatusUnauthorized || m["error"] == nil {
		t.Errorf("revoked token at /v1/login/token: %d %v", resp.StatusCode, m)
	}
	if resp, _ := me(t, ts, "Bearer "+secret); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token at users/me: %d", resp.StatusCode)
	}
}

func TestDeviceLoginWithCLI(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	c := loginClient(ts)
	ctx := context.Background()
	up.gh.SetDeviceNext("authorization_pending")
	start, err := c.StartDevice(ctx)
	require.NoError(t, err)
	if start.UserCode != "WDJB-MJHT" || start.EncodedSession == "" || start.Expires == "" {
		t.Fatalf("start = %+v", start)
	}
	if strings.Contains(start.EncodedSession, "dev-") {
		t.Errorf("the device code is readable in encodedSession")
	}
	// The user approves while the CLI waits.
	waits := 0
	c.Wait = func(context.Context, time.Duration) error { waits++; up.gh.SetDeviceNext(""); return nil }
	tok, err := c.CompleteDevice(ctx, start, time.Second)
	require.NoError(t, err)
	if waits != 1 || tok.Secret.Value == "" {
		t.Errorf("waits %d, token %+v", waits, tok)
	}
	who, err := c.WhoAmI(ctx, tok.Secret.Value)
	require.NoError(t, err)
	if who.Username != "octo" {
		t.Errorf("who = %+v", who)
	}

	complete := func(body string) (*http.Response, map[string]any) {
		return call(t, http.MethodPost, ts.URL+"/v1/login/oauth2/device/complete", "application/json", strings.NewReader(body), nil)
	}
	enc := start.EncodedSession
	tampered := enc[:10] + string(rune(enc[10]^1)) + enc[11:]
	for name, body := range map[string]string{"tampered": `"` + tampered + `"`, "truncated": `"` + enc[:len(enc)/2] + `"`,
		"not a string": `{"encodedSession":"x"}`, "empty": ``} {
		resp, m := complete(body)
		if resp.StatusCode != http.StatusBadRequest || m["errors"] == nil {
			t.Errorf("%s session: %d %v", name, resp.StatusCode, m)
		}
	}
	for code, want := range map[string]int{"slow_down": 400, "expired_token": 400, "access_denied": 401} {
		up.gh.SetDeviceNext(code)
		resp, m := complete(`"` + enc + `"`)
		if resp.StatusCode != want {
			t.Errorf("upstream %s: %d %v", code, resp.StatusCode, m)
		}
	}
	up.gh.SetFault(up.gh.TokenPath, providertest.Status500)
	if resp, m := complete(`"` + enc + `"`); resp.StatusCode != http.StatusInternalServerError || m["error"] == nil {
		t.Errorf("upstream 500: %d %v", resp.StatusCode, m)
	}
	up.gh.SetFault(up.gh.TokenPath, providertest.OK)
	ts.Clock.Add(time.Hour) // past the device code's expiry
	if resp, m := complete(`"` + enc + `"`); resp.StatusCode != http.StatusBadRequest || !strings.Contains(m["errors"].([]any)[0].(string), "expired") {
		t.Errorf("expired session: %d %v", resp.StatusCode, m)
	}
}

func TestWebLoginWithCLI(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config()+"login_api:\n  redirect_allowlist: [\"http://127.0.0.1:1/done\"]\n")
	c := loginClient(ts)
	ctx := context.Background()
	authURL, state, err := c.StartWeb(ctx, "github", "")
	require.NoError(t, err)
	poll := func() (*http.Response, map[string]any) {
		return call(t, http.MethodGet, ts.URL+"/v1/login/oauth2/web/poll?state="+url.QueryEscape(state), "", nil, nil)
	}
	if resp, m := poll(); resp.StatusCode != http.StatusBadRequest || !strings.Contains(m["errors"].([]any)[0].(string), "pending") {
		t.Errorf("poll before sign-in: %d %v", resp.StatusCode, m)
	}
	params := providertest.Authorize(t, authURL)
	b := browser(t)
	resp, body := get(t, b, ts.URL+"/v1/login/oauth2/web/callback/github?"+params.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "as <strong>octo</strong>") {
		t.Fatalf("callback page: %d\n%s", resp.StatusCode, body)
	}
	form := hiddenFields(body)
	// Whoever started the flow (and knows the state) cannot release the
	// token: only the browser that signed in has the nonce.
	resp, body = postForm(t, browser(t), ts.URL+"/v1/login/oauth2/web/confirm", url.Values{"flow": {form.Get("flow")}, "nonce": {"guess"}, "decision": {"approve"}})
	expectPage(t, resp, body, http.StatusBadRequest, "invalid")
	if resp, m := poll(); resp.StatusCode != http.StatusBadRequest || !strings.Contains(m["errors"].([]any)[0].(string), "pending") {
		t.Errorf("poll before confirmation: %d %v", resp.StatusCode, m)
	}
	form.Set("decision", "approve")
	resp, body = postForm(t, b, ts.URL+"/v1/login/oauth2/web/confirm", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "return to your terminal") {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, body)
	}
	// Two pollers at once: exactly one gets the token.
	wins := okCount(2, func() (*http.Response, error) {
		return http.Get(ts.URL + "/v1/login/oauth2/web/poll?state=" + url.QueryEscape(state))
	})
	if wins != 1 {
		t.Errorf("%d pollers got the token, want 1", wins)
	}
	// The callback cannot be replayed.
	resp, _ = get(t, browser(t), ts.URL+"/v1/login/oauth2/web/callback/github?"+params.Encode())
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback: %d", resp.StatusCode)
	}

	// The whole flow through the example CLI, with an allowlisted loopback redirect on another port.
	authURL, state, err = c.StartWeb(ctx, "github", "http://127.0.0.1:4567/done")
	require.NoError(t, err)
	params = providertest.Authorize(t, authURL)
	_, body = get(t, b, ts.URL+"/v1/login/oauth2/web/callback/github?"+params.Encode())
	form = hiddenFields(body)
	form.Set("decision", "approve")
	r, err := noFollow(b).PostForm(ts.URL+"/v1/login/oauth2/web/confirm", form)
	require.NoError(t, err)
	r.Body.Close()
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "http://127.0.0.1:4567/done" {
		t.Errorf("redirect after sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	tok, err := c.PollWeb(ctx, state, time.Second)
	require.NoError(t, err)
	if who, err := c.WhoAmI(ctx, tok.Secret.Value); err != nil || who.Username != "octo" {
		t.Errorf("who = %+v, %v", who, err)
	}

	// Bad requests list every problem; expired states are refused.
	resp, m := call(t, http.MethodGet, ts.URL+"/v1/login/oauth2/web/authorize?redirect=https://evil.example/", "", nil, nil)
	if errs, _ := m["errors"].([]any); resp.StatusCode != http.StatusBadRequest || len(errs) != 2 {
		t.Errorf("bad authorize: %d %v", resp.StatusCode, m)
	}
	_, state, err = c.StartWeb(ctx, "github", "")
	require.NoError(t, err)
	ts.Clock.Add(11 * time.Minute)
	if resp, m := poll(); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("expired state: %d %v", resp.StatusCode, m)
	}
	if resp, m := call(t, http.MethodGet, ts.URL+"/v1/login/oauth2/web/poll", "", nil, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("poll without state: %d %v", resp.StatusCode, m)
	}
}

func TestAPITokensOnAccountPage(t *testing.T) {
	ts := startServer(t, mockOnly)
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login/mock")
	csrf := csrfFrom(t, page)
	resp, body := postForm(t, b, ts.URL+"/account/api-tokens", url.Values{"_csrf": {csrf}, "name": {"laptop"}, "days": {"400"}})
	expectPage(t, resp, body, http.StatusBadRequest, "1 to 365 days")
	resp, body = postForm(t, b, ts.URL+"/account/api-tokens", url.Values{"_csrf": {csrf}, "name": {"laptop"}, "days": {"7"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	m := regexp.MustCompile(`id="new-api-secret">([^<]+)<`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	secret := m[1]
	if r, who := me(t, ts, "Bearer "+secret); r.StatusCode != http.StatusOK || who["username"] != "carol" {
		t.Errorf("new token at users/me: %d %v", r.StatusCode, who)
	}
	_, body = get(t, b, ts.URL+"/account")
	if strings.Contains(body, secret) || !strings.Contains(body, "laptop") {
		t.Errorf("token list shows the secret again or lacks the token")
	}
	tokens, err := ts.Store.ListAPITokens(context.Background(), accountID(t, ts, "carol"))
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	if tokens[0].LastUsedAt == nil || tokens[0].ExpiresAt.Sub(tokens[0].CreatedAt) != 7*24*time.Hour {
		t.Errorf("token = %+v", tokens[0])
	}
	resp, _ = postForm(t, b, ts.URL+"/account/api-tokens/"+tokens[0].ID+"/revoke", url.Values{"_csrf": {csrfFrom(t, body)}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if r, _ := me(t, ts, "Bearer "+secret); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", r.StatusCode)
	}
}

// hiddenFields reads a page's hidden form fields.
func hiddenFields(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	return v
}

// Cancel leaves nothing behind: the poll gets no token and the API token
// minted at the callback is revoked. A cancel without the nonce does
// nothing.
func TestWebLoginCancelled(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	authURL, state, err := loginClient(ts).StartWeb(context.Background(), "github", "")
	require.NoError(t, err)
	b := browser(t)
	_, body := get(t, b, ts.URL+"/v1/login/oauth2/web/callback/github?"+providertest.Authorize(t, authURL).Encode())
	form := hiddenFields(body)
	form.Set("decision", "deny")
	resp, body := postForm(t, browser(t), ts.URL+"/v1/login/oauth2/web/confirm", url.Values{"flow": {form.Get("flow")}, "nonce": {"guess"}, "decision": {"deny"}})
	expectPage(t, resp, body, http.StatusBadRequest, "invalid")
	resp, body = postForm(t, b, ts.URL+"/v1/login/oauth2/web/confirm", form)
	expectPage(t, resp, body, http.StatusOK, "was not signed in")
	r, m := call(t, http.MethodGet, ts.URL+"/v1/login/oauth2/web/poll?state="+url.QueryEscape(state), "", nil, nil)
	if r.StatusCode != http.StatusBadRequest || m["secret"] != nil || strings.Contains(m["errors"].([]any)[0].(string), "pending") {
		t.Errorf("poll after cancel: %d %v", r.StatusCode, m)
	}
	list, err := ts.Store.ListAPITokens(context.Background(), accountID(t, ts, "octo"))
	require.NoError(t, err)
	for _, tok := range list {
		if tok.RevokedAt == nil {
			t.Errorf("API token %s of a cancelled web login is live", tok.ID)
		}
	}
	// Approving after the cancel does nothing either.
	form.Set("decision", "approve")
	resp, body = postForm(t, b, ts.URL+"/v1/login/oauth2/web/confirm", form)
	expectPage(t, resp, body, http.StatusBadRequest, "invalid")
}

// The confirmation sends the browser to the redirect stored with the
// login state at /web/authorize, never to one posted with the form.
func TestWebConfirmRedirectFromState(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config()+"login_api:\n  redirect_allowlist: [\"http://127.0.0.1:1/done\", \"https://app.example/done\"]\n")
	confirm := func(stored, posted string) *http.Response {
		authURL, _, err := loginClient(ts).StartWeb(context.Background(), "github", stored)
		require.NoError(t, err)
		b := browser(t)
		_, body := get(t, b, ts.URL+"/v1/login/oauth2/web/callback/github?"+providertest.Authorize(t, authURL).Encode())
		form := hiddenFields(body)
		if form.Has("redirect") {
			t.Errorf("the confirm page carries the redirect in the form")
		}
		form.Set("decision", "approve")
		form.Set("redirect", posted)
		r, err := noFollow(b).PostForm(ts.URL+"/v1/login/oauth2/web/confirm", form)
		require.NoError(t, err)
		r.Body.Close()
		return r
	}
	for _, posted := range []string{"https://evil.example", "https://app.example/done"} {
		if r := confirm("", posted); r.StatusCode != http.StatusOK || r.Header.Get("Location") != "" {
			t.Errorf("no stored redirect, posted %s: %d %q", posted, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if r := confirm("http://127.0.0.1:4567/done", "https://app.example/done"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "http://127.0.0.1:4567/done" {
		t.Errorf("stored redirect: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}
