package server_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"gatehouse/server/apps"
	"gatehouse/store"
)

// txSpy records, for each committed transaction, the changes and audit
// events made in it.
type txSpy struct {
	store.Store
	mu      sync.Mutex
	commits [][]string
}

func (s *txSpy) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	rec := &txRecorder{Store: nil}
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		rec.Store, rec.calls = tx, nil
		return fn(rec)
	})
	if err == nil {
		s.mu.Lock()
		s.commits = append(s.commits, rec.calls)
		s.mu.Unlock()
	}
	return err
}

// committedTogether reports whether one committed transaction held all of calls.
func (s *txSpy) committedTogether(calls ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.commits {
		if !slices.ContainsFunc(calls, func(x string) bool { return !slices.Contains(c, x) }) {
			return true
		}
	}
	return false
}

type txRecorder struct {
	store.Store
	calls []string
}

func (r *txRecorder) InTx(ctx context.Context, fn func(tx store.Store) error) error { return fn(r) }

func (r *txRecorder) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	r.calls = append(r.calls, "audit:"+e.Type)
	return r.Store.AppendAudit(ctx, e)
}

func (r *txRecorder) CreateAPIToken(ctx context.Context, t *store.APIToken) error {
	r.calls = append(r.calls, "CreateAPIToken")
	return r.Store.CreateAPIToken(ctx, t)
}

func (r *txRecorder) RevokeAPIToken(ctx context.Context, accountID, id string, now time.Time) error {
	r.calls = append(r.calls, "RevokeAPIToken")
	return r.Store.RevokeAPIToken(ctx, accountID, id, now)
}

func (r *txRecorder) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	r.calls = append(r.calls, "CreateSigningKey")
	return r.Store.CreateSigningKey(ctx, k)
}

func (r *txRecorder) SetAccountFlags(ctx context.Context, id string, f store.AccountFlags, now time.Time) error {
	r.calls = append(r.calls, "SetAccountFlags")
	return r.Store.SetAccountFlags(ctx, id, f, now)
}

func (r *txRecorder) UpdateAccount(ctx context.Context, a *store.Account) error {
	r.calls = append(r.calls, "UpdateAccount")
	return r.Store.UpdateAccount(ctx, a)
}

func (r *txRecorder) CreateClient(ctx context.Context, cl *store.Client) error {
	r.calls = append(r.calls, "CreateClient")
	return r.Store.CreateClient(ctx, cl)
}

// startSpiedServer is startServer with the server's store seen through spy.
func startSpiedServer(t *testing.T, yamlBody string) (*testServer, *txSpy) {
	t.Helper()
	var spy *txSpy
	ts := startServerWrapped(t, "", yamlBody, func(st store.Store) store.Store {
		spy = &txSpy{Store: st}
		return spy
	})
	return ts, spy
}

// A committed change has its audit event in the same transaction: a crash
// right after the answer (kill -9) cannot lose the event, as it could
// when events waited in memory for a background writer.
func TestAuditEventCommittedWithChange(t *testing.T) {
	ts, spy := startSpiedServer(t, mockOnly)
	b := browser(t)
	_, page := get(t, b, ts.URL+"/login/mock")
	csrf := csrfFrom(t, page)

	resp, body := postForm(t, b, ts.URL+"/account/api-tokens", url.Values{"_csrf": {csrf}, "name": {"laptop"}, "days": {"7"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.True(t, spy.committedTogether("CreateAPIToken", "audit:api_token_created"), "api_token_created: %v", spy.commits)

	tokens, err := ts.Store.ListAPITokens(context.Background(), accountID(t, ts, "carol"))
	require.NoError(t, err)
	require.Len(t, tokens, 1)
	resp, _ = postForm(t, b, ts.URL+"/account/api-tokens/"+tokens[0].ID+"/revoke", url.Values{"_csrf": {csrfFrom(t, body)}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, spy.committedTogether("RevokeAPIToken", "audit:api_token_revoked"), "api_token_revoked: %v", spy.commits)

	status, id := createAppOnPage(t, ts, b, csrf, url.Values{"name": {"App"}, "redirect_uris": {"https://app.example/cb"},
		"grant": {"authorization_code"}, "scope": {"openid"}})
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, id)
	require.True(t, spy.committedTogether("CreateClient", "audit:app.created"), "app.created: %v", spy.commits)

	resp, body = postForm(t, b, ts.URL+"/account/password", url.Values{"_csrf": {csrf}, "new": {"a first password"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.True(t, spy.committedTogether("UpdateAccount", "audit:password.changed"), "password.changed: %v", spy.commits)
}

// An administrator's changes too: the account flag and the key rotation
// are committed with their events.
func TestAdminAuditEventCommittedWithChange(t *testing.T) {
	ts, spy := startSpiedServer(t, mockOnly)
	root := addUser(t, ts, "root", "root password")
	alice := addUser(t, ts, "alice", "alice password")
	yes := true
	require.NoError(t, ts.Store.SetAccountFlags(context.Background(), root.ID, store.AccountFlags{IsAdmin: &yes}, ts.Clock.Now()))
	b, csrf := signIn(t, ts, "root", "root password")

	resp, _ := postForm(t, b, ts.URL+"/admin/users/"+alice.ID+"/disable", url.Values{"_csrf": {csrf}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, spy.committedTogether("SetAccountFlags", "audit:admin.user_disabled"), "user_disabled: %v", spy.commits)

	resp, _ = postForm(t, b, ts.URL+"/admin/keys/rotate", url.Values{"_csrf": {csrf}, "alg": {"ES256"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, spy.committedTogether("CreateSigningKey", "audit:admin.key_rotated"), "key_rotated: %v", spy.commits)
}

// The login API's token (upstream token exchange) is committed with its
// login_api.token_issued event.
func TestLoginAPITokenCommittedWithEvent(t *testing.T) {
	up := startUpstreams(t)
	ts, spy := startSpiedServer(t, up.config())
	q := url.Values{"provider": {"github"}, "access-token": {up.gh.IssueToken()}}
	resp, m := call(t, http.MethodPost, ts.URL+"/v1/oauth2?"+q.Encode(), "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, m)
	require.True(t, spy.committedTogether("CreateAPIToken", "audit:login_api.token_issued"), "token_issued: %v", spy.commits)
}

func (r *txRecorder) SaveConsent(ctx context.Context, c *store.Consent) error {
	r.calls = append(r.calls, "SaveConsent")
	return r.Store.SaveConsent(ctx, c)
}

func (r *txRecorder) DecideDeviceCode(ctx context.Context, userCode string, approve bool, accountID, amr string, authTime, now time.Time) error {
	r.calls = append(r.calls, "DecideDeviceCode")
	return r.Store.DecideDeviceCode(ctx, userCode, approve, accountID, amr, authTime, now)
}

// A user's grants too: a consent and a device approval are committed with
// their events.
func TestGrantEventsCommittedWithChange(t *testing.T) {
	ts, spy := startSpiedServer(t, mockOnly)
	conf := newApp(t, ts, apps.Spec{Name: "TV App", Public: true, GrantTypes: []string{"authorization_code", "urn:ietf:params:oauth:grant-type:device_code"},
		Scopes: []string{"openid", "profile"}})
	conf.Scopes = []string{"openid", "profile"}
	b := signedInAgent(t, ts)
	back := authorize(t, b, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "approve")
	require.NotEmpty(t, back.Query().Get("code"), back)
	require.True(t, spy.committedTogether("SaveConsent", "audit:consent_granted"), "consent_granted: %v", spy.commits)

	conf.Endpoint.DeviceAuthURL = ts.URL + "/oauth2/device_authorization"
	da, err := conf.DeviceAuth(context.Background())
	require.NoError(t, err)
	decide(t, ts, b, da.UserCode, "approve")
	require.True(t, spy.committedTogether("DecideDeviceCode", "audit:device_approved"), "device_approved: %v", spy.commits)
}
