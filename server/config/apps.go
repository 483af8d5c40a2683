package config

import (
	"fmt"
	"time"
)

// Apps configures app registration.
type Apps struct {
	// Creators: "admins" (the default) or "anyone" (any signed-in user;
	// the default in dev mode). Apps of non-admins are not vetted: their
	// authorization errors are pages, not redirects.
	Creators string `yaml:"creators"`
	// Registration is the RFC 7591 policy at /oauth2/register: "token"
	// (an initial access token is required), "open" (no token, but only
	// loopback and private-use-scheme redirect URIs, public clients only)
	// or "off". Empty: "token" when a registration token is set, else "off",
	// so configs written before this key keep their meaning.
	Registration string `yaml:"registration"`
	// RegistrationToken guards RFC 7591 dynamic registration at
	// /oauth2/register in token mode.
	RegistrationToken     string `yaml:"registration_token"`
	RegistrationTokenFile string `yaml:"registration_token_file"`
	// DynamicClientIdleTTL: a registered (dynamic) client unused this long
	// is deleted by the sweep (default 720h). Apps made by an operator or
	// on /apps are never deleted.
	DynamicClientIdleTTL time.Duration `yaml:"dynamic_client_idle_ttl"`
	// MetadataDocuments: "on" resolves an https client_id by fetching its
	// Client ID Metadata Document; "off" (the default) treats it as an
	// unknown client.
	MetadataDocuments string `yaml:"metadata_documents"`
}

// Registration modes.
const (
	RegistrationOff   = "off"
	RegistrationToken = "token"
	RegistrationOpen  = "open"
)

// defaults: whoever registers an app chooses where people are sent after
// sign-in: outside dev mode that is for administrators unless the
// operator opens it up.
func (a *Apps) defaults(dev bool) {
	if dev {
		defStr(&a.Creators, "anyone")
	}
	defStr(&a.Creators, "admins")
	defDur(&a.DynamicClientIdleTTL, 720*time.Hour)
	defStr(&a.MetadataDocuments, "off")
	if a.RegistrationToken != "" {
		defStr(&a.Registration, RegistrationToken)
	}
	defStr(&a.Registration, RegistrationOff)
}

func (a *Apps) validate() []error {
	var errs []error
	if a.Creators != "anyone" && a.Creators != "admins" {
		errs = append(errs, fmt.Errorf("apps.creators: must be anyone or admins, got %q", a.Creators))
	}
	if t := a.RegistrationToken; t != "" && len(t) < 32 {
		errs = append(errs, fmt.Errorf("apps.registration_token: must be at least 32 characters"))
	}
	switch a.Registration {
	case RegistrationOff, RegistrationOpen:
	case RegistrationToken:
		if a.RegistrationToken == "" {
			errs = append(errs, fmt.Errorf("apps.registration: token mode needs apps.registration_token or apps.registration_token_file"))
		}
	default:
		errs = append(errs, fmt.Errorf("apps.registration: must be token, open or off, got %q", a.Registration))
	}
	if a.DynamicClientIdleTTL < time.Hour {
		errs = append(errs, fmt.Errorf("apps.dynamic_client_idle_ttl: must be at least 1h"))
	}
	if a.MetadataDocuments != "on" && a.MetadataDocuments != "off" {
		errs = append(errs, fmt.Errorf("apps.metadata_documents: must be on or off, got %q", a.MetadataDocuments))
	}
	return errs
}

// MetadataDocumentsOn reports whether https client_ids are resolved.
func (a *Apps) MetadataDocumentsOn() bool { return a.MetadataDocuments == "on" }
