package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

func testAPIs(t *testing.T, s store.Store) {
	ctx := context.Background()
	things := store.API{ID: store.NewID(), Identifier: "https://things.example/api", Name: "Things",
		Scopes:    []store.APIScope{{Name: "read:things", Description: "Read your things"}, {Name: "write:things"}},
		AccessTTL: 5 * time.Minute, SecretHash: "abc", CreatedAt: t0}
	require.NoError(t, s.CreateAPI(ctx, &things))
	other := store.API{ID: store.NewID(), Identifier: "https://a.example", CreatedAt: t0}
	require.NoError(t, s.CreateAPI(ctx, &other))
	dup := store.API{ID: store.NewID(), Identifier: things.Identifier, CreatedAt: t0}
	wantErr(t, "duplicate identifier", s.CreateAPI(ctx, &dup), store.ErrAlreadyExists)
	dup = store.API{ID: things.ID, Identifier: "https://b.example", CreatedAt: t0}
	wantErr(t, "duplicate ID", s.CreateAPI(ctx, &dup), store.ErrAlreadyExists)

	got, err := s.GetAPI(ctx, things.Identifier)
	require.NoError(t, err)
	require.Equal(t, things, got)
	_, err = s.GetAPI(ctx, "https://nope.example")
	wantErr(t, "unknown API", err, store.ErrNotFound)
	list, err := s.ListAPIs(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []string{"https://a.example", "https://things.example/api"}, []string{list[0].Identifier, list[1].Identifier})
	require.Empty(t, list[0].Scopes)

	edit := things
	edit.Name, edit.Scopes, edit.AccessTTL = "Things v2", []store.APIScope{{Name: "admin"}}, 0
	edit.ID, edit.SecretHash = "ignored", "ignored"
	require.NoError(t, s.UpdateAPI(ctx, &edit))
	got, err = s.GetAPI(ctx, things.Identifier)
	require.NoError(t, err)
	want := things
	want.Name, want.Scopes, want.AccessTTL = "Things v2", []store.APIScope{{Name: "admin"}}, 0
	require.Equal(t, want, got, "UpdateAPI changes name, scopes and TTL only")
	ghost := store.API{Identifier: "https://nope.example"}
	wantErr(t, "update unknown", s.UpdateAPI(ctx, &ghost), store.ErrNotFound)

	require.NoError(t, s.DeleteAPI(ctx, things.Identifier))
	wantErr(t, "delete twice", s.DeleteAPI(ctx, things.Identifier), store.ErrNotFound)
	_, err = s.GetAPI(ctx, things.Identifier)
	wantErr(t, "deleted API", err, store.ErrNotFound)
}

// testRefreshResource: a family remembers its resource through rotation,
// and a code and a device code keep the resource they were issued for.
func testRefreshResource(t *testing.T, s store.Store) {
	ctx := context.Background()
	acct := newAccount(t, s, "alice")
	cl := newClient(t, s, "app", acct.ID)
	first := store.RefreshToken{ID: store.NewID(), AccountID: acct.ID, ClientID: cl.ID, Scope: "read:things",
		Resource: "https://things.example/api", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), FamilyExpiresAt: t0.Add(2 * time.Hour)}
	first.FamilyID = first.ID
	require.NoError(t, s.CreateRefreshToken(ctx, &first))
	next := store.RefreshToken{ID: store.NewID(), ExpiresAt: t0.Add(time.Hour)}
	_, err := s.RotateRefreshToken(ctx, first.ID, &next, t0, 0)
	require.NoError(t, err)
	require.Equal(t, first.Resource, next.Resource, "the rotated token keeps the resource")
	got, err := s.GetRefreshToken(ctx, next.ID)
	require.NoError(t, err)
	require.Equal(t, first.Resource, got.Resource)

	code := store.AuthCode{ID: store.NewID(), ClientID: cl.ID, AccountID: acct.ID, RedirectURI: "https://app.example/cb",
		Resource: "https://things.example/api", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	require.NoError(t, s.CreateAuthCode(ctx, &code))
	ac, err := s.RedeemAuthCode(ctx, code.ID, t0)
	require.NoError(t, err)
	require.Equal(t, code.Resource, ac.Resource)

	d := store.DeviceCode{ID: "d1", UserCode: "BCDFGHJK", ClientID: cl.ID, Status: store.DevicePending,
		Resource: "https://things.example/api", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	require.NoError(t, s.CreateDeviceCode(ctx, &d))
	pending, err := s.GetDeviceCodeByUserCode(ctx, d.UserCode, t0)
	require.NoError(t, err)
	require.Equal(t, d.Resource, pending.Resource)
	polled, err := s.PollDeviceCode(ctx, d.ID, t0, time.Second)
	require.NoError(t, err)
	require.Equal(t, d.Resource, polled.Resource)
}
