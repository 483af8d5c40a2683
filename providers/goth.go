package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/markbates/goth"
)

// Goth adapts a third-party goth.Provider (any of goth's catalogue) to
// Provider. Our own providers implement Provider directly; this adapter is
// the compatibility path.
//
// goth has no context.Context: its upstream calls are bounded by the goth
// provider's http.Client timeout, and ctx is checked between the steps.
//
// goth fixes the callback URL when a provider is built (goth's New takes
// it), so a Goth serves only that one callback URL: BeginAuth and Complete
// refuse any other with ErrFixedCallback instead of sending the browser (or
// the code exchange) to a URL the caller did not ask for. Build the goth
// provider with providers.LoginCallbackURL(cfg.Issuer, cfg.Name): it signs
// in on the /login pages; the login API's web flow, which has its own
// callback URL, is refused.
type Goth struct {
	gp       goth.Provider
	display  string
	callback string
}

var _ Provider = (*Goth)(nil)

// ErrFixedCallback: a goth provider was asked to use another callback URL
// than the one it was built with.
var ErrFixedCallback = errors.New("goth provider: serves only the callback URL it was built with")

// WrapGoth returns gp, which was built with callbackURL, as a Provider
// named gp.Name().
func WrapGoth(gp goth.Provider, displayName, callbackURL string) *Goth {
	return &Goth{gp: gp, display: displayName, callback: callbackURL}
}

// Name implements Provider.
func (g *Goth) Name() string { return g.gp.Name() }

// DisplayName implements Provider.
func (g *Goth) DisplayName() string { return g.display }

// Unwrap returns the goth provider, so As finds its capabilities.
func (g *Goth) Unwrap() any { return g.gp }

func (g *Goth) checkCallback(callbackURL string) error {
	if callbackURL != g.callback {
		return fmt.Errorf("%w: %s (asked for %s)", ErrFixedCallback, g.callback, callbackURL)
	}
	return nil
}

// BeginAuth implements Provider.
func (g *Goth) BeginAuth(ctx context.Context, state, callbackURL string) (Start, error) {
	if err := g.checkCallback(callbackURL); err != nil {
		return Start{}, err
	}
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
func (g *Goth) Complete(ctx context.Context, session string, params url.Values, callbackURL string) (Identity, error) {
	if err := g.checkCallback(callbackURL); err != nil {
		return Identity{}, err
	}
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
	return IdentityFromGoth(u)
}

// complete exchanges the code and fetches the profile, checking ctx
// between the steps.
func (g *Goth) complete(ctx context.Context, sess goth.Session, params url.Values) (goth.User, error) {
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
// goth.User cannot say whether the e-mail is verified, so it is not.
func IdentityFromGoth(u goth.User) (Identity, error) {
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
