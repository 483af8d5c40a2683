package authz

import (
	"encoding/json"
	"strings"
)

// Endpoints are the discovery document's URLs (every *_endpoint and
// jwks_uri), keyed by their metadata name, for the app page's "Connect
// your app". They are read back from the rendered document, so an endpoint
// added to discovery shows up there without a second list to keep.
func (a *Server) Endpoints() map[string]string {
	var m map[string]any
	_ = json.Unmarshal(a.discovery, &m) // rendered by us from a map: it decodes
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok && (strings.HasSuffix(k, "_endpoint") || k == "jwks_uri") {
			out[k] = s
		}
	}
	return out
}
