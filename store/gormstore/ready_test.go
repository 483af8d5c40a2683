package gormstore_test

import (
	"context"
	"testing"

	"gatehouse/store/sqlitetest"
)

// A database that answers but refuses writes is reported, and recovery too.
func TestCheckWritableReadOnly(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.Open(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.SetReadOnly(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping on a read-only database = %v; reads still work", err)
	}
	if err := s.CheckWritable(ctx); err == nil {
		t.Fatal("CheckWritable = nil on a read-only database")
	}
	if err := s.SetReadOnly(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("CheckWritable after recovery = %v", err)
	}
}
