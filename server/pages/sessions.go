package pages

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// sessionView is one browser session on /account. SID is its public id
// (tokens.SID), the only name the page and its forms use.
type sessionView struct {
	SID, Device, IP string
	LastSeen        time.Time
	Current         bool
}

// sessionViews lists the user's sessions, this browser's marked.
func (w *pages) sessionViews(c echo.Context, cur *session.Current) ([]sessionView, error) {
	list, err := w.d.Store.ListSessions(c.Request().Context(), cur.Account.ID, w.d.Now())
	if err != nil {
		return nil, err
	}
	out := make([]sessionView, len(list))
	for i, s := range list {
		out[i] = sessionView{SID: tokens.SID(s.ID), Device: device(s.UserAgent), IP: s.IP, LastSeen: s.LastSeenAt,
			Current: s.ID == cur.Session.ID}
	}
	return out, nil
}

// signOutSession is POST /account/sessions/{sid}/signout: one of the
// user's own sessions ends (and its apps are told). A sid that is not one
// of this account's live sessions is not found, whoever's it is.
func (w *pages) signOutSession(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	ctx := c.Request().Context()
	list, err := w.d.Store.ListSessions(ctx, cur.Account.ID, w.d.Now())
	if err != nil {
		return err
	}
	for _, s := range list {
		if tokens.SID(s.ID) != c.Param("sid") {
			continue
		}
		if err := w.endSessions(c, cur, s); err != nil {
			return err
		}
		w.audit(c, "session_signed_out", cur.Account.ID, "", store.Detail("sid", c.Param("sid")))
		if s.ID == cur.Session.ID {
			return c.Redirect(http.StatusFound, "/login")
		}
		return c.Redirect(http.StatusFound, "/account?msg=session")
	}
	return pageErr(http.StatusNotFound, "Not found", "You have no live session with that ID.", nil)
}

// signOutEverywhere is POST /account/sessions/signout-all: every session
// of the user ends, this one too, and their apps are told.
func (w *pages) signOutEverywhere(c echo.Context) error {
	cur, err := signedIn(c)
	if cur == nil {
		return err
	}
	list, err := w.d.Store.ListSessions(c.Request().Context(), cur.Account.ID, w.d.Now())
	if err != nil {
		return err
	}
	if err := w.endSessions(c, cur, list...); err != nil {
		return err
	}
	w.audit(c, "signed_out_everywhere", cur.Account.ID, "", "")
	return c.Redirect(http.StatusFound, "/login")
}

// endSessions deletes sessions (this browser's cookie too, when it is one
// of them) and sends their back-channel logouts.
func (w *pages) endSessions(c echo.Context, cur *session.Current, list ...store.Session) error {
	ctx := c.Request().Context()
	notices, err := w.d.Logout.Notices(ctx, list...)
	if err != nil {
		return err
	}
	for _, s := range list {
		if s.ID == cur.Session.ID {
			err = w.d.Sessions.Destroy(c)
		} else {
			err = w.d.Store.DeleteSession(ctx, s.ID)
		}
		if err != nil {
			return err
		}
	}
	w.d.Logout.Send(notices)
	return nil
}

// device names a User-Agent briefly ("Firefox on Linux"); an unknown one
// is shown cut short.
func device(ua string) string {
	browser := firstIn(ua, [][2]string{{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "Go"}})
	os := firstIn(ua, [][2]string{{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}})
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case ua == "":
		return "Unknown device"
	case len(ua) > 40:
		return ua[:40] + "…"
	}
	return ua
}

func firstIn(s string, pairs [][2]string) string {
	for _, p := range pairs {
		if strings.Contains(s, p[0]) {
			return p[1]
		}
	}
	return ""
}
