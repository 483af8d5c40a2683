// Package store is what Gatehouse persists, as plain structs (models.go),
// sentinel errors and small per-aggregate interfaces composed into one
// Store (store.go; groups and invites in groups.go). Backends live in sub-packages (gormstore: SQLite and
// PostgreSQL) and prove themselves with the storetest conformance suite.
//
// Contract highlights every backend keeps:
//   - secrets are never stored: rows are keyed by the SHA-256 of
//     server-generated secrets (sessions, codes, refresh and API tokens,
//     invites);
//   - single use and rotation are atomic in the database (a conditional
//     UPDATE or DELETE decides the one winner), never read-then-write in Go;
//   - InTx runs its function in one transaction, and nested calls join it.
package store
