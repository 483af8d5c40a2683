package mock_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
	"gatehouse/providers/mock"
)

// The groups option fills Identity.Groups (comma-separated, blanks dropped).
func TestMockGroups(t *testing.T) {
	p, err := mock.New(providers.Config{Name: "mock", Options: map[string]string{"groups": "acme, acme/ops,,"}})
	require.NoError(t, err)
	ctx := context.Background()
	start, err := p.BeginAuth(ctx, "st", callback)
	require.NoError(t, err)
	u, err := url.Parse(start.URL)
	require.NoError(t, err)
	id, err := p.Complete(ctx, start.Session, u.Query(), callback)
	require.NoError(t, err)
	require.Equal(t, []string{"acme", "acme/ops"}, id.Groups)
}
