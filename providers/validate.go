package providers

import (
	"errors"
	"fmt"
	"net/url"
)

// CheckClient reports missing client credentials, naming the keys.
func CheckClient(cfg Config) []error {
	var errs []error
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("client_id: required"))
	}
	if cfg.ClientSecret == "" {
		errs = append(errs, errors.New("client_secret: required (or client_secret_file, or the GATEHOUSE_PROVIDERS_<NAME>_CLIENT_SECRET variable)"))
	}
	return errs
}

// CheckURL reports a value that is set but not an absolute http(s) URL.
func CheckURL(key, value string) error {
	if value == "" {
		return nil
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%s: must be an absolute http(s) URL, got %q", key, value)
	}
	return nil
}

// Or returns the first non-empty string: an override or its default.
func Or(override, def string) string {
	if override != "" {
		return override
	}
	return def
}
