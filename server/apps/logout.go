package apps

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gatehouse/server/oauth"
)

// validateLogout checks the app's sign-out settings (RP-Initiated and
// Back-Channel Logout 1.0): post-logout redirect URIs follow the redirect
// URI rules; the back-channel URI is where Gatehouse itself POSTs, so it
// must be https, or http on a loopback IP, with no fragment (§2.2).
func validateLogout(s *Spec) []error {
	var errs []error
	for _, r := range s.PostLogoutRedirectURIs {
		if !oauth.ValidRedirectURI(r) {
			errs = append(errs, fmt.Errorf("post-logout-redirect-uri: %q must be https, http on a loopback IP, or a private-use scheme, without fragment", r))
		}
	}
	if s.BackchannelLogoutURI != "" && !validBackchannelURI(s.BackchannelLogoutURI) {
		errs = append(errs, fmt.Errorf("backchannel-logout-uri: %q must be https (or http on a loopback IP), without fragment", s.BackchannelLogoutURI))
	}
	if s.BackchannelLogoutSessionRequired && s.BackchannelLogoutURI == "" {
		errs = append(errs, errors.New("backchannel-logout-session-required: needs a backchannel-logout-uri"))
	}
	return errs
}

func validBackchannelURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !oauth.ValidRedirectURI(s) {
		return false
	}
	return strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http")
}
