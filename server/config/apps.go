package config

import "fmt"

// Apps configures app registration.
type Apps struct {
	// Creators: "admins" (the default) or "anyone" (any signed-in user;
	// the default in dev mode). Apps of non-admins are not vetted: their
	// authorization errors are pages, not redirects.
	Creators string `yaml:"creators"`
	// RegistrationToken guards RFC 7591 dynamic registration at
	// /oauth2/register; empty disables it.
	RegistrationToken     string `yaml:"registration_token"`
	RegistrationTokenFile string `yaml:"registration_token_file"`
}

// defaults: whoever registers an app chooses where people are sent after
// sign-in: outside dev mode that is for administrators unless the
// operator opens it up.
func (a *Apps) defaults(dev bool) {
	if dev {
		defStr(&a.Creators, "anyone")
	}
	defStr(&a.Creators, "admins")
}

func (a *Apps) validate() []error {
	var errs []error
	if a.Creators != "anyone" && a.Creators != "admins" {
		errs = append(errs, fmt.Errorf("apps.creators: must be anyone or admins, got %q", a.Creators))
	}
	if t := a.RegistrationToken; t != "" && len(t) < 32 {
		errs = append(errs, fmt.Errorf("apps.registration_token: must be at least 32 characters"))
	}
	return errs
}
