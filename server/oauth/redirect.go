package oauth

import (
	"net"
	"net/url"
	"strings"
)

// MatchRedirect is the one redirect-URI matcher of the authorization server
// and the login API. It returns the redirect URI to use: the requested one
// if it is registered exactly (byte for byte, query included); or, when
// loopbackAnyPort is set (native, public apps only: RFC 8252 §7.3,
// RFC 9700 §4.1.1), a loopback IP URI that differs from a registered
// loopback URI only in its port. An empty request uses the only registered
// URI. ok is false otherwise: the caller must show an error and never
// redirect.
func MatchRedirect(registered []string, requested string, loopbackAnyPort bool) (string, bool) {
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
	if !loopbackAnyPort {
		return "", false
	}
	req, ok := loopbackWithoutPort(requested)
	if !ok {
		return "", false
	}
	for _, r := range registered {
		if reg, ok := loopbackWithoutPort(r); ok && reg == req {
			return requested, true
		}
	}
	return "", false
}

// loopbackWithoutPort returns s with its port cut out, if s is an http URL
// on a loopback IP literal without userinfo or fragment. The rest is
// compared byte for byte, as for any other redirect URI: the port is the
// only freedom (so no "HTTP://", no empty "#", no other spelling of the
// path or query).
func loopbackWithoutPort(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "http://")
	if !ok || strings.Contains(s, "#") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Opaque != "" || !IsLoopbackIP(u.Hostname()) {
		return "", false
	}
	// u.Host is the authority as written unless it held escapes: then
	// rest does not start with it, and s is refused.
	tail, ok := strings.CutPrefix(rest, u.Host)
	if !ok {
		return "", false
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + tail, true
}

// IsLoopbackIP reports whether host is a loopback IP literal. RFC 8252
// asks for loopback IP literals in redirect URIs, not "localhost" (which
// DNS or a hosts file could point elsewhere).
func IsLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ValidRedirectURI checks a URI an app wants to register: absolute, no
// fragment, no userinfo; https, or http only on a loopback IP; or a
// private-use scheme (a reverse domain name with a dot, RFC 8252 §7.1) for
// native apps.
func ValidRedirectURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Fragment != "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		return IsLoopbackIP(u.Hostname())
	case "javascript", "data", "file", "vbscript":
		return false
	}
	return len(u.Scheme) > 3 && strings.Contains(u.Scheme, ".")
}
