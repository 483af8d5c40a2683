package gormstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"gatehouse/store/gormstore"
)

// Two processes starting together on a new SQLite file both migrate it;
// without a lock one of them fails half-way ("partial migration"). Each
// round opens a fresh file from two goroutines at once; both must succeed.
func TestOpenSameNewSQLiteFileConcurrently(t *testing.T) {
	dir := t.TempDir()
	for round := range 8 {
		dsn := filepath.Join(dir, fmt.Sprintf("race%d.db", round))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st, err := gormstore.Open(context.Background(), "sqlite", dsn)
				if err == nil {
					err = st.Close()
				}
				errs[i] = err
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, opener %d: %v", round, i, err)
			}
		}
	}
}
