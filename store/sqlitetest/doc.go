// Package sqlitetest opens a fresh, migrated, file-backed SQLite store for
// tests of any package (Open). File-backed on purpose: in-memory SQLite is
// one connection per database and hides races.
package sqlitetest
