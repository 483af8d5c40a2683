package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers/providertest"
)

// corpUpstream is a plain OAuth2 upstream ("corp", trusted for e-mail) whose
// profile says what profile says, next to a trusted GitHub.
func trustedUpstreams(t *testing.T, profile map[string]any) (string, *providertest.Fake, *providertest.Fake) {
	gh := providertest.New(t)
	gh.Profile = map[string]any{"id": 1, "login": "victim", "name": "Victim"}
	gh.Emails = []map[string]any{{"email": "victim@corp.test", "primary": true, "verified": true}}
	corp := providertest.New(t)
	corp.AuthorizePath, corp.TokenPath, corp.ProfilePath = "/oauth/authorize", "/oauth/token", "/api/me"
	corp.Profile = profile
	cfg := fmt.Sprintf(`providers:
  - name: github
    type: github
    client_id: %[1]s
    client_secret: %[2]s
    auth_url: %[3]s/login/oauth/authorize
    token_url: %[3]s/login/oauth/access_token
    profile_url: %[3]s/user
    emails_url: %[3]s/user/emails
    trust_email: true
  - name: corp
    type: oauth2
    client_id: %[1]s
    client_secret: %[2]s
    auth_url: %[4]s/oauth/authorize
    token_url: %[4]s/oauth/token
    profile_url: %[4]s/api/me
    trust_email: true
    options:
      id_field: id
      username_field: login
      email_field: email
      email_verified_field: email_verified
`, gh.ClientID, gh.ClientSecret, gh.URL, corp.URL)
	return cfg, gh, corp
}

// An unverified upstream e-mail must not link to the account that owns
// the address, even on a provider trusted for e-mail and even when only
// the case differs: the attacker gets an account of their own.
func TestUnverifiedEmailDoesNotTakeOver(t *testing.T) {
	cfg, _, _ := trustedUpstreams(t, map[string]any{"id": "att-1", "login": "attacker", "email": "VICTIM@corp.test", "email_verified": false})
	ts := startServer(t, cfg)
	ctx := context.Background()

	resp, body := get(t, browser(t), ts.URL+"/login/github")
	require.Equal(t, "/account", resp.Request.URL.Path, body)
	victim, err := ts.Store.GetAccountByUsername(ctx, "victim")
	require.NoError(t, err)
	require.True(t, victim.EmailVerified)

	resp, body = get(t, browser(t), ts.URL+"/login/corp")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	ids, err := ts.Store.ListIdentities(ctx, victim.ID)
	require.NoError(t, err)
	if len(ids) != 1 {
		t.Fatalf("the attacker's unverified e-mail linked to the victim's account: %d identities", len(ids))
	}
	att, err := ts.Store.GetIdentity(ctx, "corp", "att-1")
	require.NoError(t, err)
	require.NotEqual(t, victim.ID, att.AccountID)
	acct, err := ts.Store.GetAccount(ctx, att.AccountID)
	require.NoError(t, err)
	// Never upgraded: the upstream said unverified, so our tokens must too.
	if acct.EmailVerified || att.EmailVerified {
		t.Errorf("unverified upstream e-mail stored as verified (account %v, identity %v)", acct.EmailVerified, att.EmailVerified)
	}
}

// The same provider saying "verified" links, as trust_email promises.
func TestVerifiedEmailLinksOnTrustedProvider(t *testing.T) {
	cfg, _, _ := trustedUpstreams(t, map[string]any{"id": "v-2", "login": "victim2", "email": "victim@corp.test", "email_verified": true})
	ts := startServer(t, cfg)
	ctx := context.Background()
	get(t, browser(t), ts.URL+"/login/github")
	victim, err := ts.Store.GetAccountByUsername(ctx, "victim")
	require.NoError(t, err)
	get(t, browser(t), ts.URL+"/login/corp")
	id, err := ts.Store.GetIdentity(ctx, "corp", "v-2")
	require.NoError(t, err)
	require.Equal(t, victim.ID, id.AccountID, "a verified address at a trusted provider links to its one owner")
}
