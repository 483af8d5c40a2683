package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// testClientExchangeProviders: the provider instances a client may
// exchange tokens of are stored in order, read back empty when none (by
// GetClient and ListClients), and cleared by an update.
func testClientExchangeProviders(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newClient(t, s, "app", "")
	got, err := s.GetClient(ctx, "app")
	require.NoError(t, err)
	if got.ExchangeProviders == nil || len(got.ExchangeProviders) != 0 {
		t.Errorf("a client created without exchange providers reads back %#v", got.ExchangeProviders)
	}
	c.ExchangeProviders = []string{"github", "corp-oidc"}
	require.NoError(t, s.UpdateClient(ctx, &c))
	if got, _ = s.GetClient(ctx, "app"); !slices.Equal(got.ExchangeProviders, c.ExchangeProviders) {
		t.Errorf("exchange providers after update = %q", got.ExchangeProviders)
	}
	if all, _ := s.ListClients(ctx, ""); len(all) != 1 || !slices.Equal(all[0].ExchangeProviders, c.ExchangeProviders) {
		t.Errorf("ListClients exchange providers = %v", all)
	}
	c.ExchangeProviders = nil
	require.NoError(t, s.UpdateClient(ctx, &c))
	if got, _ = s.GetClient(ctx, "app"); len(got.ExchangeProviders) != 0 {
		t.Errorf("exchange providers after clearing = %q", got.ExchangeProviders)
	}
	c.ExchangeProviders = []string{"github"}
	c.ID = "app2"
	require.NoError(t, s.CreateClient(ctx, &c))
	if got, _ = s.GetClient(ctx, "app2"); !slices.Equal(got.ExchangeProviders, []string{"github"}) {
		t.Errorf("exchange providers of a created client = %q", got.ExchangeProviders)
	}
}
