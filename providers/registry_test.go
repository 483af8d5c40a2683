package providers_test

import (
	"strings"
	"testing"

	"gatehouse/providers"
	"gatehouse/providers/builtin"
)

func TestRegistry(t *testing.T) {
	r := builtin.Registry()
	if got := strings.Join(r.Names(), ","); got != "gitea,github,lametric,lego,mock,oauth2,oidc" {
		t.Errorf("types = %s", got)
	}
	cfg := providers.Config{Name: "mock", Type: "mock"}
	if _, err := r.New(cfg, false); err == nil || !strings.Contains(err.Error(), "only allowed in dev mode") {
		t.Errorf("mock outside dev: %v", err)
	}
	if _, err := r.New(cfg, true); err != nil {
		t.Errorf("mock in dev: %v", err)
	}
	if _, err := r.New(providers.Config{Name: "x", Type: "gitlab"}, true); err == nil || !strings.Contains(err.Error(), `unknown provider type "gitlab"`) {
		t.Errorf("unknown type: %v", err)
	}
	// Two instances of one type under different names.
	a, err := r.New(providers.Config{Name: "github", Type: "github", ClientID: "a", ClientSecret: "b"}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.New(providers.Config{Name: "github-enterprise", Type: "github", ClientID: "a", ClientSecret: "b"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() != "github" || b.Name() != "github-enterprise" {
		t.Errorf("names %q %q", a.Name(), b.Name())
	}
	if _, ok := providers.As[providers.DeviceAuthorizer](b); !ok {
		t.Errorf("As does not find capabilities through the goth adapter")
	}
}
