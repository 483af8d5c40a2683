package apps

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"gatehouse/server/oauth"
)

// providerName is the config's rule for provider instance names
// (providers[].name).
var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// validateExchange checks the token-exchange settings: only a
// confidential app may exchange (the grant mints tokens for users, so the
// caller must prove who it is), and exchange providers mean nothing
// without the grant. Whether each provider is configured is checked where
// the config is at hand (the CLI); the grant refuses an unknown one.
func validateExchange(s *Spec) []error {
	var errs []error
	exchanges := slices.Contains(s.GrantTypes, oauth.GrantTokenExchange)
	if s.Public && exchanges {
		errs = append(errs, errors.New("grant: a public app cannot use token exchange"))
	}
	if len(s.ExchangeProviders) > 0 && !exchanges {
		errs = append(errs, fmt.Errorf("exchange-provider: needs the %s grant", oauth.GrantTokenExchange))
	}
	for _, p := range s.ExchangeProviders {
		if !providerName.MatchString(p) {
			errs = append(errs, fmt.Errorf("exchange-provider: %q is not a provider instance name", p))
		}
	}
	if len(s.ExchangeProviders) > 0 && !s.Operator {
		errs = append(errs, errors.New("exchange-provider: may be set only by an operator"))
	}
	return errs
}
