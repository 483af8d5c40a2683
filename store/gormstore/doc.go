// Package gormstore implements store.Store on gorm, for SQLite (the default,
// one file) and PostgreSQL (several instances behind a load balancer).
//
// Files: gormstore.go opens the database (Open, Connect), migrates it
// (Migrate, goose over the embedded migrations/<dialect>/ folders) and
// carries transactions (InTx); one file per aggregate holds its private
// gorm row types, their conversions to store structs and the methods;
// rotate_fast.go and fastread.go put the hottest paths on prepared
// database/sql statements; copy.go copies a SQLite database to PostgreSQL.
//
// Goose owns the schema; gorm only reads and writes rows, and a test checks
// that the models and the migrated tables agree. Driver errors become store
// sentinels at this package's boundary (mapErr).
//
// Single use and rotation are atomic in SQL: a conditional UPDATE or DELETE
// whose RowsAffected says who won, never a read-then-write in Go. Where a
// check spans rows (the last way into an account), the parent row is locked
// first, because PostgreSQL runs at READ COMMITTED.
//
// Times are stored in UTC at microsecond precision (PostgreSQL's timestamp
// precision; SQLite gets the same, truncated here) and come back in UTC.
package gormstore
