package github

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"gatehouse/providers"
)

// A next page on another host is not followed: the token goes with every
// page request.
func TestNextPageOnAnotherHostRefused(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		_, _ = w.Write([]byte("[]"))
	}))
	defer other.Close()
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+other.URL+"/user/orgs?page=2>; rel=\"next\"")
		_, _ = w.Write([]byte(`[{"login":"acme"}]`))
	}))
	defer gh.Close()
	_, err := getPages[org](context.Background(), gh.Client(), gh.URL+"/user/orgs", "tok")
	if !errors.Is(err, providers.ErrUpstream) {
		t.Errorf("err = %v, want ErrUpstream", err)
	}
	if leaked.Load() != 0 {
		t.Errorf("the token was sent to another host")
	}
}

// X-OAuth-Scopes without an org scope is a missing read:org even on 200
// (GitHub may answer with only public memberships).
func TestScopesHeaderWithoutReadOrg(t *testing.T) {
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-OAuth-Scopes", "read:user, user:email")
		_, _ = w.Write([]byte(`[{"login":"acme"}]`))
	}))
	defer gh.Close()
	_, err := getPages[org](context.Background(), gh.Client(), gh.URL+"/user/orgs", "tok")
	if !errors.Is(err, providers.ErrMissingScope) {
		t.Errorf("err = %v, want ErrMissingScope", err)
	}
}

func TestNextLink(t *testing.T) {
	for h, want := range map[string]string{
		`<https://api.github.com/user/orgs?page=2>; rel="next", <https://api.github.com/user/orgs?page=5>; rel="last"`: "https://api.github.com/user/orgs?page=2",
		`<https://api.github.com/user/orgs?page=1>; rel="prev"`:                                                        "",
		``: "",
	} {
		if got := nextLink(h); got != want {
			t.Errorf("nextLink(%q) = %q, want %q", h, got, want)
		}
	}
}
