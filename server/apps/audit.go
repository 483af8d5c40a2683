package apps

import (
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/audit"
	"gatehouse/store"
)

// Audit event types of app changes.
const (
	EventCreated       = "app.created"
	EventUpdated       = "app.updated"
	EventSecretRotated = "app.secret_rotated"
	EventDeleted       = "app.deleted"
	EventRegistered    = "app.registered" // RFC 7591 dynamic registration
)

// Who made a change that no account made.
const (
	ByCLI          = "cli"
	ByRegistration = "registration"
)

// Event is the audit event of a change to app clientID made by by (an
// account ID, ByCLI or ByRegistration). It never holds the secret.
func Event(typ, clientID, accountID, by, ip string, now time.Time) store.AuditEvent {
	return store.AuditEvent{ID: store.NewID(), Time: now, Type: typ, AccountID: accountID, IP: ip,
		Detail: store.Detail("client_id", clientID, "by", by)}
}

// change makes a change by accountID on the pages (fn, given the
// transaction) and stores its audit event in the same transaction, so a
// crash cannot lose the event of a committed change.
func change(c echo.Context, w *audit.Writer, now time.Time, typ, accountID string, fn func(tx store.Store) (clientID string, err error)) error {
	return w.Change(c.Request().Context(), func(tx store.Store) (store.AuditEvent, error) {
		id, err := fn(tx)
		return Event(typ, id, accountID, accountID, c.RealIP(), now), err
	})
}
