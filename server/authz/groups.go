package authz

import (
	"context"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/server/oauth"
	"gatehouse/store"
)

// Groups reach apps two ways (issue 12):
//   - the groups scope puts the account's groups, every source merged
//     (local and each provider's), in the id_token, userinfo and the
//     access token; an account with no groups gets no claim at all;
//   - an app's AllowedGroups admit only members of one of them: checked
//     after sign-in at /oauth2/authorize (access_denied), at device
//     approval, and in the respond phase every user grant shares
//     (invalid_grant), so a refresh after leaving the group fails.
//
// The groups are read from the store only when one of the two needs them,
// so apps that use neither pay nothing on their hot paths.

// accountGroups returns the names of the account's groups, every source,
// each once, sorted.
func (a *Server) accountGroups(ctx context.Context, accountID string) ([]string, error) {
	ms, err := a.Store.ListAccountGroups(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return store.GroupNames(ms), nil
}

// mayUse reports whether an account in groups may use cl: an app with
// no AllowedGroups admits everyone.
func mayUse(cl store.Client, groups []string) bool {
	if len(cl.AllowedGroups) == 0 {
		return true
	}
	return slices.ContainsFunc(cl.AllowedGroups, func(g string) bool { return slices.Contains(groups, g) })
}

// grantGroups reads the account's groups when cl restricts access or the
// scope asks for them, and says whether the account may use cl. groups is
// nil unless the groups scope is granted, so no token carries them
// otherwise.
func (a *Server) grantGroups(ctx context.Context, cl store.Client, accountID string, scope []string) (groups []string, ok bool, err error) {
	wanted := slices.Contains(scope, oauth.ScopeGroups)
	if !wanted && len(cl.AllowedGroups) == 0 {
		return nil, true, nil
	}
	all, err := a.accountGroups(ctx, accountID)
	if err != nil {
		return nil, false, err
	}
	if wanted {
		groups = all
	}
	return groups, mayUse(cl, all), nil
}

// notInGroup is the refusal of a user outside the app's allowed groups.
func notInGroup() *oauth.Error {
	return oauth.AccessDenied("Your account is not in a group that may use this application.")
}

// refuseOutsider answers r with access_denied (a redirect, or the error
// page for unvetted apps) when the signed-in account may not use the app.
// refused false: go on.
func (a *Server) refuseOutsider(c echo.Context, r *authRequest, accountID string) (refused bool, err error) {
	if len(r.Client.AllowedGroups) == 0 {
		return false, nil
	}
	groups, err := a.accountGroups(c.Request().Context(), accountID)
	if err != nil {
		return true, err
	}
	if mayUse(r.Client, groups) {
		return false, nil
	}
	a.audit(c, "app_access_denied", accountID, r.Client.ID)
	return true, a.redirectErr(c, &redirectError{r, notInGroup()})
}
