package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"gatehouse/store/gormstore"
)

// Open returns a new store in t.TempDir(), closed when the test ends.
func Open(t testing.TB) *gormstore.Store {
	t.Helper()
	st, err := gormstore.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatalf("sqlitetest: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
