package providertest

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// orgScopes are the GitHub scopes that allow reading org memberships.
var orgScopes = []string{"read:org", "write:org", "admin:org"}

// SetMemberships sets the GitHub organisations ("acme") and teams
// ("acme/ops") of the fake's user; safe while the fake serves.
func (f *Fake) SetMemberships(orgs, teams []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Orgs, f.Teams = orgs, teams
}

// IssueTokenWithScopes mints an access token for ClientID granted only
// scopes (space-separated), as a user who withheld the others would hold.
func (f *Fake) IssueTokenWithScopes(scopes string) string {
	at := randomish()
	f.mu.Lock()
	f.tokens[at] = issued{clientID: f.ClientID, scopes: scopes, scoped: true}
	f.mu.Unlock()
	return at
}

// memberships serves GitHub's /user/orgs and /user/teams: 401 without a
// token it issued, 403 with X-Accepted-OAuth-Scopes when the token lacks
// read:org (as GitHub answers), else one page (?page=, ?per_page=) with a
// Link rel="next" header when more follow.
func (f *Fake) memberships(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	t, known := f.lookup(tok)
	if !known {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Requires authentication"})
		return
	}
	if t.scoped {
		w.Header().Set("X-OAuth-Scopes", strings.Join(strings.Fields(t.scopes), ", "))
		w.Header().Set("X-Accepted-OAuth-Scopes", strings.Join(orgScopes, ", "))
		if !slices.ContainsFunc(strings.Fields(t.scopes), func(s string) bool { return slices.Contains(orgScopes, s) }) {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "You need at least read:org scope or user:email scope to list your organizations."})
			return
		}
	}
	f.mu.Lock()
	docs := f.membershipDocs(r.URL.Path == f.TeamsPath)
	size := max(1, f.PageSize)
	f.mu.Unlock()
	size = min(size, max(1, atoiOr(r.URL.Query().Get("per_page"), 30)))
	page := max(1, atoiOr(r.URL.Query().Get("page"), 1))
	from, to := min(len(docs), (page-1)*size), min(len(docs), page*size)
	if to < len(docs) {
		next := *r.URL
		q := next.Query()
		q.Set("page", strconv.Itoa(page+1))
		next.RawQuery = q.Encode()
		w.Header().Set("Link", `<`+f.URL+next.RequestURI()+`>; rel="next"`)
	}
	writeJSON(w, http.StatusOK, docs[from:to])
}

// membershipDocs renders Orgs or Teams as GitHub documents; f.mu is held.
func (f *Fake) membershipDocs(teams bool) []map[string]any {
	var out []map[string]any
	if !teams {
		for _, o := range f.Orgs {
			out = append(out, map[string]any{"login": o, "id": len(out) + 1})
		}
		return out
	}
	for _, t := range f.Teams {
		org, slug, _ := strings.Cut(t, "/")
		out = append(out, map[string]any{"slug": slug, "name": slug, "organization": map[string]any{"login": org}})
	}
	return out
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// withhold removes the denied scopes from a space-separated scope list.
func withhold(scope string, denied []string) string {
	return strings.Join(slices.DeleteFunc(strings.Fields(scope), func(s string) bool { return slices.Contains(denied, s) }), " ")
}
