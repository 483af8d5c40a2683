package admin

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/server/session"
	"gatehouse/server/tokens"
	"gatehouse/store"
	"gatehouse/web"
)

// rotatable are the algorithms a rotation may ask for: the ones we sign with.
var rotatable = []string{"ES256", "RS256"}

// keyView is one signing key as the keys page shows it.
type keyView struct {
	store.SigningKey
	Signing bool   // signs new tokens of its algorithm now
	State   string // "signing", "next" (published, not yet signing), "retired" (published, no longer signing) or "published"
}

type keysData struct {
	web.Page
	Keys    []keyView
	Algs    []string
	Grace   time.Duration
	Message string
	Error   string
}

func (p *Pages) keys(c echo.Context) error {
	return p.renderKeys(c, http.StatusOK, "")
}

func (p *Pages) renderKeys(c echo.Context, status int, errMsg string) error {
	ctx := c.Request().Context()
	now := p.Now()
	list, err := p.Store.ListSigningKeys(ctx, now)
	if err != nil {
		return err
	}
	signing := map[string]bool{}
	for _, alg := range rotatable {
		if kid, _, err := p.Keys.Signer(ctx, alg); err == nil {
			signing[kid] = true
		}
	}
	views := make([]keyView, len(list))
	for i, k := range list {
		views[i] = keyView{SigningKey: k, Signing: signing[k.ID], State: state(k, signing[k.ID], now)}
	}
	return p.Web.Render(c, status, "admin_keys", keysData{Page: web.PageFor(c), Keys: views, Algs: rotatable,
		Grace: p.KeyGrace, Message: notices[c.QueryParam("msg")], Error: errMsg})
}

func state(k store.SigningKey, signing bool, now time.Time) string {
	switch {
	case signing:
		return "signing"
	case k.ActiveAt.After(now):
		return "next"
	case k.RetireAt != nil && !k.RetireAt.After(now):
		return "retired"
	}
	return "published"
}

// rotate makes a new key for the posted alg that signs at once; the one it
// replaces stays published for KeyGrace. It is tokens.Keys.Rotate, the
// same as `gatehouse keys rotate`.
func (p *Pages) rotate(c echo.Context) error {
	alg := c.FormValue("alg")
	if !slices.Contains(rotatable, alg) {
		return p.renderKeys(c, http.StatusBadRequest, "Choose the algorithm of the key to rotate: ES256 or RS256.")
	}
	// The audit event is stored in the rotation's transaction.
	ctx := c.Request().Context()
	ev := p.event(c, "admin.key_rotated", session.FromContext(c).Account.ID, "")
	_, err := p.Keys.Rotate(ctx, alg, p.KeyGrace, func(tx store.Store, nk store.SigningKey) error {
		ev.Detail = store.Detail("kid", nk.ID, "alg", nk.Alg)
		return tx.AppendAudit(ctx, &ev)
	})
	if errors.Is(err, tokens.ErrConcurrentRotation) {
		return p.renderKeys(c, http.StatusConflict, "Another rotation of "+alg+" happened at the same moment; its key stands. Rotate again for one more.")
	}
	if err != nil {
		return err
	}
	p.Audit.Stored(ctx, ev)
	return redirectMsg(c, "/admin/keys", "rotated")
}
