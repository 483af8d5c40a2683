// Package logout ends browser sessions and tells the apps they signed into
// (OpenID Connect Back-Channel Logout 1.0), and serves RP-Initiated Logout
// 1.0 (GET|POST /oauth2/logout).
//
// Which apps a session signed into is recorded when an authorization code
// or token is issued in it (store.Sessions.AddSessionClient). Ending a
// session reads that list first, deletes the session (its records go with
// it), then queues one logout token per app with a backchannel_logout_uri:
//
//	notices := Notices(sessions)   read before the rows are gone
//	delete the session(s)          the caller's own step (/logout, /account, admin)
//	Backchannel.Send(notices...)   off the request path, bounded retries
package logout

import (
	"context"
	"errors"
	"time"

	"gatehouse/server/tokens"
	"gatehouse/store"
)

// Ender finds whom to tell when sessions end, and tells them.
type Ender struct {
	Store store.Store
	Back  *Backchannel
}

// Notices are the back-channel notices for ending sessions: one per app
// with a backchannel_logout_uri that the session signed into. Call it
// before the sessions are deleted.
func (e *Ender) Notices(ctx context.Context, sessions ...store.Session) ([]Notice, error) {
	var out []Notice
	if e == nil {
		return nil, nil
	}
	for _, s := range sessions {
		ids, err := e.Store.SessionClients(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			cl, err := e.Store.GetClient(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if cl.BackchannelLogoutURI != "" {
				out = append(out, Notice{ClientID: cl.ID, URI: cl.BackchannelLogoutURI, Alg: cl.IDTokenAlg,
					Subject: s.AccountID, SID: tokens.SID(s.ID)})
			}
		}
	}
	return out, nil
}

// AccountNotices are the notices for ending every session of accountID
// except keepSession ("" keeps none): sign out everywhere, a password
// change, an account disabled.
func (e *Ender) AccountNotices(ctx context.Context, accountID, keepSession string, now time.Time) ([]Notice, error) {
	if e == nil {
		return nil, nil
	}
	list, err := e.Store.ListSessions(ctx, accountID, now)
	if err != nil {
		return nil, err
	}
	var end []store.Session
	for _, s := range list {
		if s.ID != keepSession {
			end = append(end, s)
		}
	}
	return e.Notices(ctx, end...)
}

// EndSession deletes session s and tells its apps.
func (e *Ender) EndSession(ctx context.Context, s store.Session) error {
	notices, err := e.Notices(ctx, s)
	if err != nil {
		return err
	}
	if err := e.Store.DeleteSession(ctx, s.ID); err != nil {
		return err
	}
	e.Send(notices)
	return nil
}

// Send queues notices (nil-safe: without a back-channel nothing is sent).
func (e *Ender) Send(notices []Notice) {
	if e != nil && e.Back != nil && len(notices) > 0 {
		e.Back.Send(notices...)
	}
}
