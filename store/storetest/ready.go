package storetest

import (
	"context"
	"testing"

	"gatehouse/store"
)

// testCheckWritable: a live store takes writes, and the check leaves the
// data as it was.
func testCheckWritable(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := newAccount(t, s, "writable")
	for range 2 {
		if err := s.CheckWritable(ctx); err != nil {
			t.Fatalf("CheckWritable = %v", err)
		}
	}
	got, err := s.GetAccount(ctx, a.ID)
	if err != nil || got.Username != "writable" {
		t.Errorf("after CheckWritable: %v %v", got, err)
	}
}
