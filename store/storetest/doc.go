// Package storetest is the conformance suite every store.Store backend
// passes (Run): the data contract and the error contract of each method,
// expiry at explicit instants (no sleeps, no wall clock), InTx commit,
// rollback and nesting, and the atomicity of single use, rotation, unlinking
// and upserts under concurrency. Run it on a file-backed database: in-memory
// SQLite is one connection and hides races.
package storetest
