package authz

import (
	"net"
	"net/url"
)

// matchRedirect returns the redirect URI to use: the requested one if it is
// registered exactly, or if it is a loopback URI that differs from a
// registered loopback URI only in its port (RFC 8252 §7.3). An empty
// request uses the only registered URI. ok is false otherwise: the caller
// must show an error page and never redirect.
func matchRedirect(registered []string, requested string) (string, bool) {
	if requested == "" {
		if len(registered) == 1 {
			return registered[0], true
		}
		return "", false
	}
	for _, r := range registered {
		if r == requested {
			return requested, true
		}
	}
	req, err := url.Parse(requested)
	if err != nil || req.Scheme != "http" || !isLoopbackIP(req.Hostname()) || req.Fragment != "" {
		return "", false
	}
	for _, r := range registered {
		reg, err := url.Parse(r)
		if err != nil || reg.Scheme != "http" || !isLoopbackIP(reg.Hostname()) {
			continue
		}
		if reg.Hostname() == req.Hostname() && reg.Path == req.Path && reg.RawQuery == req.RawQuery {
			return requested, true
		}
	}
	return "", false
}

// isLoopbackIP: RFC 8252 asks for loopback IP literals, not "localhost".
func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ValidRedirectURI checks a URI an app wants to register: absolute, no
// fragment; https, or http only on a loopback IP; or a private-use scheme
// (a reverse domain name with a dot, RFC 8252 §7.1) for native apps.
func ValidRedirectURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Fragment != "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		return isLoopbackIP(u.Hostname())
	case "javascript", "data", "file", "vbscript":
		return false
	}
	return len(u.Scheme) > 3 && containsDot(u.Scheme)
}

func containsDot(s string) bool {
	for _, r := range s {
		if r == '.' {
			return true
		}
	}
	return false
}
