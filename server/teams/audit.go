package teams

import (
	"time"

	"gatehouse/store"
)

// Audit event types of group and invite changes.
const (
	EventGroupCreated  = "group.created"
	EventGroupDeleted  = "group.deleted"
	EventMemberAdded   = "group.member_added"
	EventMemberRemoved = "group.member_removed"
	EventInviteCreated = "invite.created"
	EventInviteRevoked = "invite.revoked"
)

// ByCLI is who made a change no account made.
const ByCLI = "cli"

// Event is the audit event of a change made by by (an account ID or
// ByCLI). accountID is the account the change is about ("" for none);
// kv adds details, never a token.
func Event(typ, accountID, by, ip string, now time.Time, kv ...string) store.AuditEvent {
	return store.AuditEvent{ID: store.NewID(), Time: now, Type: typ, AccountID: accountID, IP: ip,
		Detail: store.Detail(append(kv, "by", by)...)}
}
