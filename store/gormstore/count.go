package gormstore

import (
	"context"
	"fmt"
	"slices"
)

// CountRows returns the number of rows in one of the store's tables. It is
// for tests and operators that check a table stays bounded (abuse tests
// count the rows anonymous requests leave); it is not part of store.Store.
func (s *Store) CountRows(ctx context.Context, table string) (int64, error) {
	if !slices.Contains(tables, table) && table != "rate_counters" && table != "auth_requests" {
		return 0, fmt.Errorf("gormstore: no table %q", table)
	}
	var n int64
	err := s.q(ctx).Table(table).Count(&n).Error
	return n, mapErr(err)
}
