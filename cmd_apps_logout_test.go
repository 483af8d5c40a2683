package main

import (
	"strings"
	"testing"
)

// apps create takes the sign-out settings and refuses unusable ones.
func TestCLIAppsLogoutFlags(t *testing.T) {
	cfg := tempConfig(t)
	code, out, errs := gh(t, cfg, "", "apps", "create", "--name", "Wiki", "--redirect-uri", "https://wiki.example/cb",
		"--post-logout-redirect-uri", "https://wiki.example/bye", "--post-logout-redirect-uri", "https://wiki.example/bye2",
		"--backchannel-logout-uri", "https://wiki.example/bc")
	if code != 0 || !strings.Contains(out, `"post_logout_redirect_uris":["https://wiki.example/bye","https://wiki.example/bye2"]`) ||
		!strings.Contains(out, `"backchannel_logout_uri":"https://wiki.example/bc"`) {
		t.Errorf("apps create: %d %s %s", code, out, errs)
	}
	code, _, errs = gh(t, cfg, "", "apps", "create", "--name", "Bad", "--redirect-uri", "https://bad.example/cb",
		"--post-logout-redirect-uri", "javascript:alert(1)", "--backchannel-logout-uri", "http://bad.example/bc")
	if code != 1 || !strings.Contains(errs, "post-logout-redirect-uri") || !strings.Contains(errs, "backchannel-logout-uri") {
		t.Errorf("bad logout URIs: %d %q", code, errs)
	}
}
