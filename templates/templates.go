// Package templates holds Gatehouse's server-rendered HTML, embedded in the
// binary. base.html is the one layout; every other file defines the
// "title" and "content" blocks of one page.
package templates

import "embed"

// FS holds every template.
//
//go:embed *.html
var FS embed.FS
