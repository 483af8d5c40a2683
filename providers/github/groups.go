package github

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"gatehouse/providers"
)

// maxPages caps how many pages of memberships one sign-in reads (100 per
// page): someone in more than 1000 organisations or teams cannot sign in
// where org rules are set, rather than being judged on a partial list.
const maxPages = 10

// orgScopes are the scopes that let a token read org memberships; read:org
// is the one we ask for.
var orgScopes = []string{"read:org", "write:org", "admin:org"}

// missingReadOrg is the error for a token without read:org.
var missingReadOrg = &providers.MissingScopeError{Scope: "read:org", Why: "to check your organisation"}

// wantsGroups: memberships are read when an org or team rule needs them,
// or when the operator asked for read:org in scopes (to have the groups
// without restricting who signs in).
func wantsGroups(cfg providers.Config, scopes []string) bool {
	return len(cfg.Admission.Orgs)+len(cfg.Admission.Teams) > 0 || hasOrgScope(scopes)
}

func hasOrgScope(scopes []string) bool {
	return slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(orgScopes, s) })
}

type org struct {
	Login string `json:"login"`
}

type team struct {
	Slug         string `json:"slug"`
	Organization org    `json:"organization"`
}

// groups are the person's organisations ("acme") and teams ("acme/ops"),
// lower-cased (GitHub logins and slugs are case-insensitive), sorted, from
// {profile_url}/orgs and {profile_url}/teams.
func (p *Provider) groups(ctx context.Context, token string) ([]string, error) {
	base := strings.TrimSuffix(p.profileURL, "/")
	orgs, err := getPages[org](ctx, p.HTTPClient, base+"/orgs", token)
	if err != nil {
		return nil, err
	}
	teams, err := getPages[team](ctx, p.HTTPClient, base+"/teams", token)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, o := range orgs {
		out = append(out, strings.ToLower(o.Login))
	}
	for _, t := range teams {
		out = append(out, strings.ToLower(t.Organization.Login)+"/"+strings.ToLower(t.Slug), strings.ToLower(t.Organization.Login))
	}
	slices.Sort(out)
	return slices.Compact(slices.DeleteFunc(out, func(s string) bool { return s == "" || strings.HasPrefix(s, "/") })), nil
}

// getPages reads a paginated GitHub list, following Link rel="next" on
// the same host only (the token goes with every request).
func getPages[T any](ctx context.Context, c *http.Client, first, token string) ([]T, error) {
	start, err := url.Parse(first + "?per_page=100")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", providers.ErrUpstream, err)
	}
	var all []T
	next := start
	for range maxPages {
		var page []T
		link, err := getPage(ctx, c, next.String(), token, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if link == "" {
			return all, nil
		}
		if next, err = start.Parse(link); err != nil || next.Scheme != start.Scheme || next.Host != start.Host {
			return nil, fmt.Errorf("%w: %s: a next page on another host", providers.ErrUpstream, start.Path)
		}
	}
	return nil, fmt.Errorf("%w: %s: more than %d pages", providers.ErrUpstream, start.Path, maxPages)
}

// getPage fetches one page into v and returns the next page's URL ("" on
// the last). A token without an org scope is missingReadOrg, whether
// GitHub refuses it (403) or says so in X-OAuth-Scopes.
func getPage(ctx context.Context, c *http.Client, u, token string, v any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %v", providers.ErrUpstream, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", accept)
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", providers.ErrUpstream, req.URL.Path, providers.Scrub(err))
	}
	defer resp.Body.Close()
	granted, told := resp.Header["X-Oauth-Scopes"]
	switch {
	case told && !hasOrgScope(splitScopes(strings.Join(granted, ","))):
		return "", missingReadOrg
	case resp.StatusCode == http.StatusForbidden && hasOrgScope(splitScopes(resp.Header.Get("X-Accepted-OAuth-Scopes"))):
		return "", missingReadOrg
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("%w: %s answered %d", providers.ErrTokenRejected, req.URL.Path, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("%w: %s answered %d", providers.ErrUpstream, req.URL.Path, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return "", fmt.Errorf("%w: %s: malformed JSON: %v", providers.ErrUpstream, req.URL.Path, err)
	}
	return nextLink(resp.Header.Get("Link")), nil
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

var nextRe = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?next"?`)

// nextLink is the rel="next" URL of a Link header (RFC 8288), "" if none.
func nextLink(h string) string {
	if m := nextRe.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return ""
}
