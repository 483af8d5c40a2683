package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/server/apps"
)

// refreshAll presents one refresh token n times at once and returns the
// status codes and refresh tokens of the answers.
func refreshAll(t *testing.T, n int, send func() (int, string)) (codes []int, successors map[string]int) {
	t.Helper()
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	successors = map[string]int{}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, rt := send()
			mu.Lock()
			defer mu.Unlock()
			codes = append(codes, code)
			if rt != "" {
				successors[rt]++
			}
		}()
	}
	wg.Wait()
	return codes, successors
}

// A client presenting one refresh token many times at once (oauth2-proxy
// with several page requests after the refresh period) gets the same
// successor every time, and its session survives. After the grace window,
// presenting the spent token again is reuse and revokes the family.
func TestRefreshGraceSameSuccessor(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	app := newApp(t, ts, apps.Spec{GrantTypes: []string{"password", "refresh_token"}, Scopes: []string{"profile"}, RedirectURIs: []string{}})
	tok, err := app.PasswordCredentialsToken(context.Background(), "alice", "correct horse")
	require.NoError(t, err)
	refresh := func(rt string) (int, string) {
		resp, m := tokenCall(t, ts, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, app.ClientID, app.ClientSecret)
		s, _ := m["refresh_token"].(string)
		return resp.StatusCode, s
	}

	codes, successors := refreshAll(t, 32, func() (int, string) { return refresh(tok.RefreshToken) })
	for _, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("32 concurrent presentations: codes %v, want all 200 (default grace)", codes)
		}
	}
	if len(successors) != 1 {
		t.Fatalf("32 concurrent presentations forked %d branches, want 1", len(successors))
	}
	var successor string
	for s := range successors {
		successor = s
	}
	// Within the window, a late duplicate still gets the same successor.
	ts.Clock.Add(5 * time.Second)
	if c, s := refresh(tok.RefreshToken); c != http.StatusOK || s != successor {
		t.Errorf("late duplicate in the window: %d, same successor %v", c, s == successor)
	}
	// After the window the old token is reuse: the family goes, successor included.
	ts.Clock.Add(6 * time.Second)
	if c, _ := refresh(tok.RefreshToken); c != http.StatusBadRequest {
		t.Errorf("old token after the window: %d, want 400", c)
	}
	if c, _ := refresh(successor); c != http.StatusBadRequest {
		t.Errorf("successor after reuse past the window: %d, want 400 (family revoked)", c)
	}

	// The successor itself already rotated (the client moved on): the
	// parent, even inside the window, resurrects nothing and revokes the
	// family (RFC 9700 reuse).
	tok, err = app.PasswordCredentialsToken(context.Background(), "alice", "correct horse")
	require.NoError(t, err)
	c, s1 := refresh(tok.RefreshToken)
	require.Equal(t, http.StatusOK, c)
	c, s2 := refresh(s1)
	require.Equal(t, http.StatusOK, c)
	if c, s := refresh(tok.RefreshToken); c != http.StatusBadRequest || s != "" {
		t.Errorf("parent after its successor rotated: %d %q, want 400", c, s)
	}
	if c, _ := refresh(s2); c != http.StatusBadRequest {
		t.Errorf("newest token after the parent's reuse: %d, want 400 (family revoked)", c)
	}
}

// The first-party JWT API follows the same rule: parallel refreshes of one
// token all get the same successor, which keeps working.
func TestJWTAPIRefreshGrace(t *testing.T) {
	ts := startServer(t, mockOnly)
	addUser(t, ts, "alice", "correct horse")
	_, rt := login(t, ts, "alice", "correct horse")
	post := func(rt string) (int, string) {
		b, _ := json.Marshal(map[string]string{"refresh_token": rt})
		resp, err := http.Post(ts.URL+"/api/token-auth/refresh", "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		s, _ := m["refresh_token"].(string)
		return resp.StatusCode, s
	}
	codes, successors := refreshAll(t, 32, func() (int, string) { return post(rt) })
	for _, c := range codes {
		if c != http.StatusOK {
			t.Fatalf("32 concurrent refreshes: codes %v, want all 200", codes)
		}
	}
	if len(successors) != 1 {
		t.Fatalf("32 concurrent refreshes forked %d branches, want 1", len(successors))
	}
	for s := range successors {
		if c, next := post(s); c != http.StatusOK || next == "" {
			t.Errorf("the successor does not work: %d", c)
		}
	}
}
