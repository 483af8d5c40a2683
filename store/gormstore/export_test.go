package gormstore

import "gorm.io/gorm"

// Models lists every gorm model of the package, for the schema test.
func Models() []any {
	return []any{&accountRow{}, &identityRow{}, &sessionRow{}, &pendingLoginRow{}, &refreshRow{},
		&signingKeyRow{}, &auditRow{}, &clientRow{}, &authCodeRow{}, &consentRow{}, &deviceRow{},
		&apiTokenRow{}, &loginStateRow{}, &revokedAccessRow{}}
}

// DB exposes the writer handle to tests.
func (s *Store) DB() *gorm.DB { return s.wdb }
