package mock_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/mock"
)

const callback = "http://127.0.0.1:8080/login/mock/callback"

// The mock is exempt from providertest.Run: it has no upstream (no token
// endpoint to fail, no PKCE, no profile document); its "code" is the
// session itself, which this test checks.
func TestMock(t *testing.T) {
	p, err := mock.New(providers.Config{Name: "mock", Options: map[string]string{"username": "carol", "email_verified": "false"}})
	require.NoError(t, err)
	ctx := context.Background()
	start, err := p.BeginAuth(ctx, "st", callback)
	require.NoError(t, err)
	u, err := url.Parse(start.URL)
	require.NoError(t, err)
	if u.Path != "/login/mock/callback" || u.Query().Get("state") != "st" {
		t.Fatalf("start URL = %s", start.URL)
	}
	id, err := p.Complete(ctx, start.Session, u.Query(), callback)
	require.NoError(t, err)
	if id.Username != "carol" || id.Subject != "mock-user-1" || id.EmailVerified {
		t.Errorf("identity = %+v", id)
	}
	other, _ := p.BeginAuth(ctx, "st2", callback)
	if _, err := p.Complete(ctx, other.Session, u.Query(), callback); !errors.Is(err, providers.ErrUpstream) {
		t.Errorf("code of another sign-in accepted: %v", err)
	}
	if _, err := p.Complete(ctx, start.Session, url.Values{"error": {"access_denied"}}, callback); !errors.Is(err, providers.ErrAccessDenied) {
		t.Errorf("denied: %v", err)
	}
}

func TestMockConfig(t *testing.T) {
	_, err := mock.New(providers.Config{Name: "mock", Options: map[string]string{"colour": "red", "email_verified": "maybe"}})
	if err == nil || !strings.Contains(err.Error(), "options.colour: unknown option") || !strings.Contains(err.Error(), "options.email_verified") {
		t.Errorf("err = %v", err)
	}
}
