package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gatehouse/server/logout"
	"gatehouse/server/session"
	"gatehouse/store"
	"gatehouse/web"
)

// pageSize is how many accounts one page of /admin/users shows.
const pageSize = 50

// maxParam bounds the search prefix, the page cursor and account IDs:
// longer ones cannot name a username (signin caps those far lower).
const maxParam = 256

type usersData struct {
	web.Page
	Accounts []store.Account
	Self     string // the signed-in administrator's account ID
	Query    string
	Next     string // link to the next page; "" on the last
	Message  string
	Error    string
}

// users lists accounts by username, pageSize at a time, optionally only
// those whose username starts with ?q=; ?after= is the last username of
// the previous page.
func (p *Pages) users(c echo.Context) error {
	q, after := strings.TrimSpace(c.QueryParam("q")), c.QueryParam("after")
	if !validParam(q) || !validParam(after) {
		return p.Web.Render(c, http.StatusBadRequest, "admin_users", usersData{Page: web.PageFor(c),
			Error: "The search text or page link is not valid (at most 256 characters of UTF-8 text)."})
	}
	return p.renderUsers(c, http.StatusOK, q, after, "")
}

func (p *Pages) renderUsers(c echo.Context, status int, q, after, errMsg string) error {
	list, err := p.Store.ListAccounts(c.Request().Context(), after, pageSize+1, q)
	if err != nil {
		return err
	}
	d := usersData{Page: web.PageFor(c), Self: session.FromContext(c).Account.ID, Query: q,
		Message: notices[c.QueryParam("msg")], Error: errMsg}
	if len(list) > pageSize {
		list = list[:pageSize]
		d.Next = "/admin/users?" + url.Values{"q": {q}, "after": {list[pageSize-1].Username}}.Encode()
	}
	d.Accounts = list
	return p.Web.Render(c, status, "admin_users", d)
}

// validParam accepts what the database can compare: short, valid UTF-8
// (PostgreSQL rejects anything else with an error), no NUL.
func validParam(s string) bool {
	return len(s) <= maxParam && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// flagChange is one of the account changes the users page offers.
type flagChange struct {
	set    func(store.Account) (store.AccountFlags, bool) // the flags to write; false if nothing changes
	self   string                                         // why administrators may not do it to themselves; "" if they may
	event  string                                         // audit event type
	notice string                                         // key in notices
}

var (
	yes, no = true, false

	disable = flagChange{
		set: func(a store.Account) (store.AccountFlags, bool) {
			return store.AccountFlags{Disabled: &yes}, !a.Disabled
		},
		self:  "You cannot disable your own account: you would lock yourself out.",
		event: "admin.user_disabled", notice: "disabled",
	}
	enable = flagChange{
		set:   func(a store.Account) (store.AccountFlags, bool) { return store.AccountFlags{Disabled: &no}, a.Disabled },
		event: "admin.user_enabled", notice: "enabled",
	}
	grantAdmin = flagChange{
		set:   func(a store.Account) (store.AccountFlags, bool) { return store.AccountFlags{IsAdmin: &yes}, !a.IsAdmin },
		event: "admin.user_admin_granted", notice: "admin",
	}
	revokeAdmin = flagChange{
		set:   func(a store.Account) (store.AccountFlags, bool) { return store.AccountFlags{IsAdmin: &no}, a.IsAdmin },
		self:  "You cannot remove your own administrator rights: ask another administrator.",
		event: "admin.user_admin_revoked", notice: "unadmin",
	}
)

// setFlag makes the handler of one account change: parse the account ID,
// refuse changes to oneself that would lock the administrator out, write
// the flag, record the event, redirect back to the list.
func (p *Pages) setFlag(ch flagChange) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		me := session.FromContext(c).Account
		id := c.Param("id")
		if !validParam(id) {
			return notFound()
		}
		acct, err := p.Store.GetAccount(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound()
		}
		if err != nil {
			return err
		}
		if acct.ID == me.ID && ch.self != "" {
			return p.renderUsers(c, http.StatusConflict, "", "", ch.self)
		}
		flags, changes := ch.set(acct)
		if !changes {
			return redirectMsg(c, "/admin/users", "unchanged")
		}
		var notices []logout.Notice
		if flags.Disabled != nil && *flags.Disabled { // disabling ends the sessions: read whom to tell first
			if notices, err = p.Logout.AccountNotices(ctx, acct.ID, "", p.Now()); err != nil {
				return err
			}
		}
		err = p.change(c, ch.event, acct.ID, store.Detail("username", acct.Username, "by", me.ID, "by_username", me.Username),
			func(tx store.Store) error { return tx.SetAccountFlags(ctx, acct.ID, flags, p.Now()) })
		switch {
		case errors.Is(err, store.ErrNotFound):
			return notFound()
		case errors.Is(err, store.ErrConflict):
			return p.renderUsers(c, http.StatusConflict, "", "", "That would leave no active administrator; make another one first.")
		case err != nil:
			return err
		}
		p.Logout.Send(notices)
		return redirectMsg(c, "/admin/users", ch.notice)
	}
}

func notFound() error {
	return &web.PageError{Status: http.StatusNotFound, Title: "Account not found", Message: "There is no account with that ID."}
}
