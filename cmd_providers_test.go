package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers/providertest"
	"gatehouse/store"
	"gatehouse/store/gormstore"
)

// fakeGitHubConfig is tempConfig with a github provider on the fake
// upstream (trusted for e-mail) and the mock.
func fakeGitHubConfig(t *testing.T, f *providertest.Fake) string {
	cfg := tempConfig(t)
	extra := fmt.Sprintf(`providers:
  - name: github
    type: github
    client_id: %[1]s
    client_secret: %[2]s
    auth_url: %[3]s/login/oauth/authorize
    token_url: %[3]s/login/oauth/access_token
    profile_url: %[3]s/user
    emails_url: %[3]s/user/emails
    trust_email: true
  - name: mock
    type: mock
`, f.ClientID, f.ClientSecret, f.URL)
	fh, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fh.WriteString(extra)
	require.NoError(t, err)
	require.NoError(t, fh.Close())
	return cfg
}

func TestCLIProvidersList(t *testing.T) {
	cfg := fakeGitHubConfig(t, providertest.New(t))
	code, out, errs := gh(t, cfg, "", "providers", "list")
	require.Equal(t, 0, code, errs)
	for _, want := range []string{
		"github (type github)", "http://127.0.0.1:8080/login/github/callback (pages)",
		"http://127.0.0.1:8080/v1/login/oauth2/web/callback/github (login API web flow)",
		"trust_email:    yes", "admission:      anyone this provider signs in", "mock (type mock)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("providers list lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = gh(t, cfg, "", "providers", "list", "--json")
	require.Equal(t, 0, code, errs)
	var list []providerInfo
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	if len(list) != 2 || list[0].Name != "github" || !list[0].TrustEmail || list[1].TrustEmail || list[0].DisplayName != "GitHub" ||
		list[1].CallbackURLs[0] != "http://127.0.0.1:8080/login/mock/callback" || list[0].Error != "" {
		t.Errorf("providers list --json: %s", out)
	}
	for _, args := range [][]string{{"providers"}, {"providers", "frob"}, {"providers", "list", "extra"}, {"providers", "test"}} {
		if code, _, _ := gh(t, cfg, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
}

// lines feeds what the CLI prints, line by line, to a channel.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// nextAfter returns the n-th line after the first one starting with prefix.
func nextAfter(t *testing.T, ch <-chan string, prefix string, n int) string {
	t.Helper()
	for l := range ch {
		if strings.HasPrefix(l, prefix) {
			for range n - 1 {
				<-ch
			}
			return <-ch
		}
	}
	t.Fatalf("the CLI never printed %q", prefix)
	return ""
}

// providers test plays one sign-in against the fake upstream: the test is
// the browser. A callback with the wrong state is refused before anything
// reaches the upstream; the right one completes, and the CLI prints the
// profile and the decisions, creating nothing.
func TestCLIProvidersTest(t *testing.T) {
	ctx := context.Background()
	f := providertest.New(t)
	f.Profile = map[string]any{"id": 101, "login": "octo", "name": "Octo Cat"}
	f.Emails = []map[string]any{{"email": "vic@corp.test", "primary": true, "verified": true}}
	cfg := fakeGitHubConfig(t, f)
	st, err := gormstore.Open(ctx, "sqlite", filepath.Join(filepath.Dir(cfg), "g.db"))
	require.NoError(t, err)
	defer st.Close()
	now := time.Now()
	vic := store.Account{ID: store.NewID(), Username: "vic", Email: "vic@corp.test", EmailVerified: true, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, st.CreateAccount(ctx, &vic)) // an operator's account: the sign-in would link to it

	out, done, errb := runInBackground(cfg, "providers", "test", "github")
	callback := nextAfter(t, out, "Register this callback URL", 2)
	authURL := nextAfter(t, out, "Open this URL in a browser", 1)
	require.True(t, strings.HasPrefix(authURL, f.URL+"/login/oauth/authorize?"), authURL)

	resp, err := http.Get(callback + "?state=forged&code=attacker-code")
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(f.Requests(f.TokenPath)) != 0 {
		t.Fatalf("a callback with a forged state: %d, upstream token requests %d", resp.StatusCode, len(f.Requests(f.TokenPath)))
	}
	resp, err = http.Get(authURL) // the fake approves and sends the browser to the listener
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(page))

	var rest []string
	for l := range out {
		rest = append(rest, l)
	}
	require.Equal(t, 0, <-done, errb.String())
	text := strings.Join(rest, "\n")
	for _, want := range []string{"subject:   101", "username:  octo", "e-mail:    vic@corp.test (verified)", "name:      Octo Cat",
		"admission: admitted (anyone this provider signs in)", "links to vic (" + vic.ID + ")"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(errb.String(), "refused a callback whose state does not match") {
		t.Errorf("stderr does not tell of the refused callback: %q", errb.String())
	}
	n, err := st.CountAccounts(ctx)
	require.NoError(t, err)
	ids, err := st.ListIdentities(ctx, vic.ID)
	require.NoError(t, err)
	evs, err := st.ListAudit(ctx, "", 10)
	require.NoError(t, err)
	if n != 1 || len(ids) != 0 || len(evs) != 0 {
		t.Errorf("providers test wrote: %d accounts, %d identities of vic, %d audit events", n, len(ids), len(evs))
	}
}

// runInBackground runs the CLI while the test reads its output line by
// line; done says the exit code, after which errb holds stderr.
func runInBackground(cfg string, args ...string) (out <-chan string, done <-chan int, errb *bytes.Buffer) {
	pr, pw := io.Pipe()
	errb = &bytes.Buffer{}
	codes := make(chan int, 1)
	go func() {
		code := run(context.Background(), append([]string{"--config", cfg}, args...), strings.NewReader(""), pw, errb)
		pw.Close()
		codes <- code
	}()
	return lines(pr), codes, errb
}

func TestCLIProvidersTestRefusals(t *testing.T) {
	cfg := fakeGitHubConfig(t, providertest.New(t))
	for _, tt := range []struct {
		args []string
		errs string
	}{
		{[]string{"nope"}, `no provider "nope"`},
		{[]string{"github", "--listen", "0.0.0.0:0"}, "--listen: must be a loopback address"},
		{[]string{"github", "--listen", "example.com:80"}, "--listen: must be a loopback address"},
		{[]string{"github", "--callback-url", "https://gatehouse.example/login/github/callback"}, "--callback-url: must be http://127.0.0.1"},
		{[]string{"github", "--callback-url", "http://10.0.0.1:8085/cb"}, "--callback-url: must be http://127.0.0.1"},
		{[]string{"github", "--callback-url", "http://127.0.0.1/cb"}, "--callback-url: must be http://127.0.0.1"},
		{[]string{"github", "--callback-url", "http://127.0.0.1:8085/cb", "--listen", "127.0.0.1:8086"}, "the callback URL points at 127.0.0.1:8085"},
		{[]string{"github", "--timeout", "1ms"}, "no callback came"},
	} {
		code, _, errs := gh(t, cfg, "", append([]string{"providers", "test"}, tt.args...)...)
		if code != 1 || !strings.Contains(errs, tt.errs) {
			t.Errorf("%v: exit %d, %q; want 1 and %q", tt.args, code, errs, tt.errs)
		}
	}
}
