package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// tables in an order that satisfies foreign keys.
var tables = []string{"accounts", "clients", "identities", "sessions", "pending_logins", "refresh_tokens",
	"signing_keys", "audit_events", "auth_codes", "consents", "device_codes", "api_tokens", "login_states",
	"groups", "account_groups", "invites", "session_clients", "apis", "revoked_access_tokens"}

// CopySQLiteToPostgres copies a (possibly running) SQLite deployment into an
// empty PostgreSQL database: the schema is migrated first, every table is
// read inside one read transaction (a consistent WAL snapshot: writers go
// on meanwhile), written inside one PostgreSQL transaction, and the row
// counts are compared afterwards. It returns the rows copied per table.
func CopySQLiteToPostgres(ctx context.Context, sqlitePath, pgDSN string) (map[string]int64, error) {
	dst, err := Open(ctx, "postgres", pgDSN)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	pg, err := dst.wdb.DB()
	if err != nil {
		return nil, err
	}
	if err := ensureEmpty(ctx, pg); err != nil {
		return nil, err
	}
	src, err := sql.Open("sqlite3", "file:"+sqlitePath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer stx.Rollback()
	counts, err := copyTables(ctx, stx, pg)
	if err != nil {
		return nil, err
	}
	return counts, verifyCounts(ctx, pg, counts)
}

func ensureEmpty(ctx context.Context, pg *sql.DB) error {
	for _, t := range tables {
		var n int64
		if err := pg.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("target database is not empty (%s has %d rows)", t, n)
		}
	}
	return nil
}

func copyTables(ctx context.Context, src *sql.Tx, pg *sql.DB) (map[string]int64, error) {
	dtx, err := pg.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer dtx.Rollback()
	counts := map[string]int64{}
	for _, t := range tables {
		n, err := copyTable(ctx, src, dtx, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		counts[t] = n
	}
	return counts, dtx.Commit()
}

func copyTable(ctx context.Context, src *sql.Tx, dst *sql.Tx, table string) (int64, error) {
	rows, err := src.QueryContext(ctx, "SELECT * FROM "+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	ph := make([]string, len(cols))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	insert := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(ph, ", "))
	var n int64
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := dst.ExecContext(ctx, insert, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func verifyCounts(ctx context.Context, pg *sql.DB, want map[string]int64) error {
	var errs []error
	for t, n := range want {
		var got int64
		if err := pg.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&got); err != nil {
			return err
		}
		if got != n {
			errs = append(errs, fmt.Errorf("%s: copied %d rows, PostgreSQL has %d", t, n, got))
		}
	}
	return errors.Join(errs...)
}

// Backup writes a consistent copy of a SQLite store to path while it keeps
// serving (VACUUM INTO reads one snapshot). path must not exist.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.db.Dialector.Name() != "sqlite" {
		return errors.New("backup: only SQLite stores; use pg_dump for PostgreSQL")
	}
	return mapErr(s.q(ctx).Exec("VACUUM INTO ?", path).Error)
}
