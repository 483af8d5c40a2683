// Package session keeps browser sign-ins: an opaque random cookie whose
// SHA-256 hash is the store row's ID, so a database leak does not leak usable
// cookies. Every instance sharing the store sees every session.
package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/tokens"
	"gatehouse/store"
)

// Manager creates, finds and ends browser sessions.
type Manager struct {
	Store      store.Store
	CookieName string
	TTL        time.Duration
	// Secure marks cookies Secure (true whenever the issuer is https).
	Secure bool
	Now    func() time.Time
}

// Current is the signed-in user of a request.
type Current struct {
	Session store.Session
	Account store.Account
}

const ctxKey = "gatehouse.session"

// Middleware loads the session named by the cookie, if any, into the echo
// context. A missing, unknown or expired cookie just means "signed out".
func (m *Manager) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if cur, err := m.load(c); err == nil {
			c.Set(ctxKey, cur)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return next(c)
	}
}

// FromContext returns the signed-in user, or nil.
func FromContext(c echo.Context) *Current {
	cur, _ := c.Get(ctxKey).(*Current)
	return cur
}

// Require returns the signed-in user, or (nil and) a redirect to sign-in
// that comes back to back. Page handlers use it as:
//
//	cur, err := session.Require(c, "/x")
//	if cur == nil {
//		return err
//	}
func Require(c echo.Context, back string) (*Current, error) {
	if cur := FromContext(c); cur != nil {
		return cur, nil
	}
	return nil, c.Redirect(http.StatusFound, "/login?return_to="+url.QueryEscape(back))
}

func (m *Manager) load(c echo.Context) (*Current, error) {
	ck, err := c.Cookie(m.CookieName)
	if err != nil || ck.Value == "" {
		return nil, store.ErrNotFound
	}
	ctx := c.Request().Context()
	s, err := m.Store.GetSession(ctx, tokens.HashToken(ck.Value), m.Now())
	if err != nil {
		return nil, err
	}
	a, err := m.Store.GetAccount(ctx, s.AccountID)
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, store.ErrNotFound
	}
	return &Current{Session: s, Account: a}, nil
}

// Create signs accountID in: it stores a new session and sets its cookie.
// Any previous session cookie of this browser is replaced (and its row
// deleted) so a fixed session ID cannot survive sign-in.
func (m *Manager) Create(c echo.Context, accountID, amr string) error {
	if err := m.Destroy(c); err != nil {
		return err
	}
	value := tokens.RandomToken()
	now := m.Now()
	s := &store.Session{
		ID: tokens.HashToken(value), AccountID: accountID, AMR: amr, AuthTime: now, CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(m.TTL),
		UserAgent: truncate(c.Request().UserAgent(), 200), IP: c.RealIP(),
	}
	if err := m.Store.CreateSession(c.Request().Context(), s); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	m.setCookie(c, value, int(m.TTL.Seconds()))
	return nil
}

// Destroy ends the current session, if any, and clears the cookie.
func (m *Manager) Destroy(c echo.Context) error {
	ck, err := c.Cookie(m.CookieName)
	if err != nil || ck.Value == "" {
		return nil
	}
	m.setCookie(c, "", -1)
	return m.Store.DeleteSession(context.WithoutCancel(c.Request().Context()), tokens.HashToken(ck.Value))
}

func (m *Manager) setCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: m.CookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: m.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// CookieName is the name to give a cookie that must be Secure, Path=/ and
// host-only: with an https issuer it carries the __Host- prefix, so the
// browser refuses it from a sibling subdomain or over plain http (a
// planted session or CSRF cookie).
func CookieName(name string, secure bool) string {
	if secure && !strings.HasPrefix(name, "__Host-") {
		return "__Host-" + name
	}
	return name
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
