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

// record queues the event of a change made on the pages by accountID.
func record(c echo.Context, w *audit.Writer, now time.Time, typ, clientID, accountID string) {
	w.Record(c.Request().Context(), Event(typ, clientID, accountID, accountID, c.RealIP(), now))
}
