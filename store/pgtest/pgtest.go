// Package pgtest gives tests a fresh PostgreSQL database on the server
// named by GATEHOUSE_TEST_PG_DSN (skipping when it is unset; .ci/run starts
// a throwaway cluster and sets it).
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"gatehouse/store"
	"gatehouse/store/gormstore"
)

// DSN returns the server DSN or skips the test.
func DSN(t testing.TB) string {
	dsn := os.Getenv("GATEHOUSE_TEST_PG_DSN")
	if dsn == "" {
		t.Skip("GATEHOUSE_TEST_PG_DSN not set")
	}
	return dsn
}

// NewDatabase creates an empty database for one test, dropped at cleanup,
// and returns its DSN.
func NewDatabase(t testing.TB) string {
	dsn := DSN(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "gh_test_" + store.NewID()[:16]
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return withDB(dsn, name)
}

// withDB replaces (or adds) dbname in a key=value DSN.
func withDB(dsn, name string) string {
	var parts []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(f, "dbname=") {
			parts = append(parts, f)
		}
	}
	return strings.Join(append(parts, fmt.Sprintf("dbname=%s", name)), " ")
}

// Open returns a migrated store on a fresh database.
func Open(t testing.TB) *gormstore.Store {
	st, err := gormstore.Open(context.Background(), "postgres", NewDatabase(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
