package loginapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"gatehouse/providers"
)

// sealPurpose binds sealed device sessions to this use.
const sealPurpose = "login-api-device"

// deviceSession is what encodedSession carries, sealed (AES-GCM under the
// master key): the client can neither read the device code nor alter it.
type deviceSession struct {
	Provider   string    `json:"p"`
	DeviceCode string    `json:"d"`
	Expires    time.Time `json:"e"`
	Interval   int64     `json:"i"`
}

func (a *api) upstreamCtx(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), a.UpstreamTimeout)
}

// deviceStart is POST /v1/login/oauth2/device/start[?provider=github].
func (a *api) deviceStart(c echo.Context) error {
	if !a.StartLimit.Allow(c) {
		return tooMany()
	}
	name := c.QueryParam("provider")
	if name == "" {
		name = "github"
	}
	p, ok := a.Providers[name]
	if !ok {
		return badRequest("provider " + quote(name) + " is not configured")
	}
	dev, ok := providers.As[providers.DeviceAuthorizer](p)
	if !ok {
		return badRequest("provider " + quote(name) + " has no device flow")
	}
	ctx, cancel := a.upstreamCtx(c)
	defer cancel()
	da, err := dev.DeviceAuth(ctx)
	if err != nil {
		return a.upstreamFailed(name, err)
	}
	// x/oauth2 dates the expiry on the wall clock; re-date it on ours.
	expires := a.Now().Add(15 * time.Minute)
	if !da.Expiry.IsZero() {
		expires = a.Now().Add(time.Until(da.Expiry))
	}
	raw, _ := json.Marshal(deviceSession{Provider: name, DeviceCode: da.DeviceCode, Expires: expires.UTC(), Interval: da.Interval})
	return c.JSON(http.StatusOK, map[string]any{"url": da.VerificationURI, "userCode": da.UserCode,
		"expires": expires.UTC().Format(time.RFC3339), "encodedSession": a.Sealer.SealString(sealPurpose, raw)})
}

// deviceComplete is POST /v1/login/oauth2/device/complete with the
// encodedSession as a JSON string. It asks the upstream once (bounded by
// the upstream timeout); a pending or slow_down answer tells the client to
// call again after the interval.
func (a *api) deviceComplete(c echo.Context) error {
	sess, problem := a.openSession(c)
	if problem != "" {
		return badRequest(problem)
	}
	if !a.Now().Before(sess.Expires) {
		return badRequest("expired_token: the device code expired; start again")
	}
	p, ok := a.Providers[sess.Provider]
	dev, ok2 := providers.As[providers.DeviceAuthorizer](p)
	if !ok || !ok2 {
		return badRequest("provider " + quote(sess.Provider) + " is no longer configured")
	}
	ctx, cancel := a.upstreamCtx(c)
	defer cancel()
	tok, err := dev.DevicePoll(ctx, &oauth2.DeviceAuthResponse{DeviceCode: sess.DeviceCode, Interval: sess.Interval})
	if err != nil {
		return a.pollFailed(sess.Provider, err)
	}
	tv, ok := providers.As[providers.TokenVerifier](p)
	if !ok {
		return badRequest(cannotProve(sess.Provider))
	}
	id, err := tv.VerifyAccessToken(ctx, tok.AccessToken)
	if err != nil {
		return a.verifyFailed(sess.Provider, err)
	}
	ans, err := a.issueFor(c, sess.Provider, id, "login API (device flow)")
	if err != nil {
		return err
	}
	return secretJSON(c, ans)
}

// openSession reads and opens the sealed session from the JSON body.
func (a *api) openSession(c echo.Context) (deviceSession, string) {
	var encoded string
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 8<<10))
	if err != nil || json.Unmarshal(body, &encoded) != nil || encoded == "" {
		return deviceSession{}, "the body must be the encodedSession from device/start, as a JSON string"
	}
	raw, err := a.Sealer.OpenString(sealPurpose, encoded)
	var s deviceSession
	if err != nil || json.Unmarshal(raw, &s) != nil || s.DeviceCode == "" {
		return deviceSession{}, "encodedSession is invalid (altered, truncated or not from this server)"
	}
	return s, ""
}

// pollFailed turns the upstream's RFC 8628 answer into ours.
func (a *api) pollFailed(provider string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return a.upstreamFailed(provider, err)
	}
	switch re.ErrorCode {
	case "authorization_pending":
		return badRequest("authorization_pending: the user has not entered the code yet; call again after the interval")
	case "slow_down":
		return badRequest("slow_down: polling too fast; wait 5 seconds longer between calls")
	case "expired_token":
		return badRequest("expired_token: the device code expired; start again")
	case "access_denied":
		return unauthorized("access_denied: the user denied the request")
	}
	return a.upstreamFailed(provider, err)
}
