package web

import (
	"net/url"
	"strings"
)

// SafeReturnTo keeps only same-origin absolute paths: "/x?y", never
// "//host", "/\host", a scheme or anything unparsable. It returns "" for
// anything else.
func SafeReturnTo(s string) string {
	if s == "" || len(s) > 1024 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(s, "\r\n\t\\") {
		return ""
	}
	return s
}
