package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

func authRequest(id string) *store.AuthRequest {
	return &store.AuthRequest{ID: id, BrowserHash: "b-" + id, ClientID: "app_1", Params: "client_id=app_1&state=" + id,
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
}

func testAuthRequests(t *testing.T, s store.Store) {
	ctx := context.Background()
	after := t0.Add(-time.Minute + 123*time.Microsecond)
	r1 := authRequest("r1")
	r1.LoginAfter = &after
	require.NoError(t, s.CreateAuthRequest(ctx, r1))
	wantErr(t, "duplicate", s.CreateAuthRequest(ctx, authRequest("r1")), store.ErrAlreadyExists)
	got, err := s.GetAuthRequest(ctx, "r1", t0.Add(time.Minute))
	require.NoError(t, err)
	if got.BrowserHash != "b-r1" || got.ClientID != "app_1" || got.Params != "client_id=app_1&state=r1" ||
		got.LoginAfter == nil || !got.LoginAfter.Equal(after) || !got.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("GetAuthRequest = %+v", got)
	}
	_, err = s.GetAuthRequest(ctx, "r1", t0.Add(10*time.Minute))
	wantErr(t, "get expired", err, store.ErrNotFound)
	got, err = s.TakeAuthRequest(ctx, "r1", t0.Add(time.Minute))
	require.NoError(t, err)
	if got.Params != "client_id=app_1&state=r1" || got.LoginAfter == nil {
		t.Errorf("TakeAuthRequest = %+v", got)
	}
	_, err = s.TakeAuthRequest(ctx, "r1", t0)
	wantErr(t, "taken twice", err, store.ErrNotFound)
	_, err = s.GetAuthRequest(ctx, "r1", t0)
	wantErr(t, "get after take", err, store.ErrNotFound)

	require.NoError(t, s.CreateAuthRequest(ctx, authRequest("r2")))
	got, err = s.GetAuthRequest(ctx, "r2", t0)
	require.NoError(t, err)
	if got.LoginAfter != nil {
		t.Errorf("LoginAfter = %v, want nil", got.LoginAfter)
	}
	_, err = s.TakeAuthRequest(ctx, "r2", t0.Add(10*time.Minute))
	wantErr(t, "take expired", err, store.ErrNotFound)
	_, err = s.TakeAuthRequest(ctx, "nope", t0)
	wantErr(t, "unknown", err, store.ErrNotFound)
}

func testAuthRequestsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.CreateAuthRequest(ctx, authRequest("r")))
	wins := race(8, func() error { _, err := s.TakeAuthRequest(ctx, "r", t0); return err }, store.ErrNotFound)
	if wins != 1 {
		t.Errorf("%d callers took one authorization request, want exactly 1", wins)
	}
}
