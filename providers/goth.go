package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"
)

// EmailVerifier is implemented by goth-shaped providers that know whether
// the e-mail in a goth.User is verified upstream (goth.User has no field for
// it). Without it, e-mails count as unverified.
type EmailVerifier interface {
	EmailVerified(u goth.User) bool
}

// ContextGoth is implemented by goth-shaped providers whose steps can honour
// a context (ours do); the adapter then uses these instead of goth's
// context-free Session.Authorize and FetchUser.
type ContextGoth interface {
	AuthorizeContext(ctx context.Context, s goth.Session, params goth.Params) error
	FetchUserContext(ctx context.Context, s goth.Session) (goth.User, error)
}

// Goth adapts any goth.Provider to Provider. Our own goth-shaped providers
// (github, lego, lametric) and third-party goth providers plug in the same
// way. goth has no context.Context: its upstream calls are bounded by the
// provider's http.Client timeout, and ctx is checked between the steps.
type Goth struct {
	gp      goth.Provider
	display string
}

var _ Provider = (*Goth)(nil)

// WrapGoth returns gp as a Provider named gp.Name().
func WrapGoth(gp goth.Provider, displayName string) *Goth {
	return &Goth{gp: gp, display: displayName}
}

// Name implements Provider.
func (g *Goth) Name() string { return g.gp.Name() }

// DisplayName implements Provider.
func (g *Goth) DisplayName() string { return g.display }

// Unwrap returns the goth provider, so As finds its capabilities.
func (g *Goth) Unwrap() any { return g.gp }

// BeginAuth implements Provider.
func (g *Goth) BeginAuth(ctx context.Context, state string) (Start, error) {
	if err := ctx.Err(); err != nil {
		return Start{}, err
	}
	sess, err := g.gp.BeginAuth(state)
	if err != nil {
		return Start{}, fmt.Errorf("%w: begin auth: %w", ErrUpstream, err)
	}
	u, err := sess.GetAuthURL()
	if err != nil {
		return Start{}, fmt.Errorf("%w: auth url: %w", ErrUpstream, err)
	}
	return Start{URL: u, Session: sess.Marshal()}, nil
}

// Complete implements Provider.
func (g *Goth) Complete(ctx context.Context, session string, params url.Values) (Identity, error) {
	if err := CallbackError(params); err != nil {
		return Identity{}, err
	}
	if params.Get("code") == "" {
		return Identity{}, fmt.Errorf("%w: callback without code", ErrUpstream)
	}
	sess, err := g.gp.UnmarshalSession(session)
	if err != nil {
		return Identity{}, fmt.Errorf("unmarshal session: %w", err)
	}
	u, err := g.complete(ctx, sess, params)
	if err != nil {
		return Identity{}, err
	}
	return IdentityFromGoth(g.gp, u)
}

// complete exchanges the code and fetches the profile, with ctx when the
// provider supports it and between the steps otherwise.
func (g *Goth) complete(ctx context.Context, sess goth.Session, params url.Values) (goth.User, error) {
	if cg, ok := g.gp.(ContextGoth); ok {
		if err := cg.AuthorizeContext(ctx, sess, params); err != nil {
			return goth.User{}, upstreamErr("exchange code", err)
		}
		u, err := cg.FetchUserContext(ctx, sess)
		if err != nil {
			return goth.User{}, upstreamErr("fetch profile", err)
		}
		return u, nil
	}
	if err := ctx.Err(); err != nil {
		return goth.User{}, err
	}
	if _, err := sess.Authorize(g.gp, params); err != nil {
		return goth.User{}, upstreamErr("exchange code", err)
	}
	if err := ctx.Err(); err != nil {
		return goth.User{}, err
	}
	u, err := g.gp.FetchUser(sess)
	if err != nil {
		return goth.User{}, upstreamErr("fetch profile", err)
	}
	return u, nil
}

// IdentityFromGoth maps a goth.User to an Identity. The upstream subject is
// required: an account must never be keyed by something the user can change.
func IdentityFromGoth(gp goth.Provider, u goth.User) (Identity, error) {
	if u.UserID == "" {
		return Identity{}, fmt.Errorf("%w: profile has no user id", ErrUpstream)
	}
	raw, err := json.Marshal(u.RawData)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: profile: %w", ErrUpstream, err)
	}
	id := Identity{
		Subject: u.UserID, Username: u.NickName, Email: u.Email, Name: u.Name,
		FirstName: u.FirstName, LastName: u.LastName, AvatarURL: u.AvatarURL, Raw: raw,
	}
	if ev, ok := gp.(EmailVerifier); ok && u.Email != "" {
		id.EmailVerified = ev.EmailVerified(u)
	}
	if u.AccessToken != "" {
		id.Token = &oauth2.Token{AccessToken: u.AccessToken, RefreshToken: u.RefreshToken, Expiry: u.ExpiresAt}
	}
	return id, nil
}

// CallbackError reports the upstream's ?error= on a callback (RFC 6749
// §4.1.2.1), before anyone touches the code.
func CallbackError(params url.Values) error {
	switch e := params.Get("error"); e {
	case "":
		return nil
	case "access_denied":
		return ErrAccessDenied
	default:
		return fmt.Errorf("%w: upstream error %q", ErrUpstream, truncate(e, 64))
	}
}

func upstreamErr(step string, err error) error {
	if errors.Is(err, ErrUpstream) || errors.Is(err, ErrAccessDenied) {
		return err
	}
	return fmt.Errorf("%w: %s: %w", ErrUpstream, step, err)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
