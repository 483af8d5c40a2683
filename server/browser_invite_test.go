package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"gatehouse/store"
)

// TestBrowserInviteSignUp: an administrator makes an invite on
// /admin/invites; a new person opens the link, signs in with the mock
// provider and lands on /account in the invited group.
func TestBrowserInviteSignUp(t *testing.T) {
	ts := startServer(t, "signup: invite\n"+mockOnly)
	root := addUser(t, ts, "root", "root password")
	ctx := context.Background()
	yes := true
	require.NoError(t, ts.Store.SetAccountFlags(ctx, root.ID, store.AccountFlags{IsAdmin: &yes}, ts.Clock.Now()))
	require.NoError(t, ts.Store.CreateGroup(ctx, &store.Group{ID: store.NewID(), Name: "staff", CreatedAt: ts.Clock.Now()}))

	st := step(t, newBrowser(t))
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(st, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	submit := func(what string, sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(st, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run("open invites", chromedp.Navigate(ts.URL+"/admin/invites"),
		chromedp.SendKeys(chromedp.CSS(`#username`), "root"), chromedp.SendKeys(chromedp.CSS(`#password`), "root password"))
	submit("sign in", `form[action="/login"] button[type=submit]`)
	run("fill the invite form", chromedp.Click(chromedp.CSS(`input[name=group][value=staff]`)))
	submit("make invite", `#create`)
	link, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#invite-link`)))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(link), ts.URL+"/invite/") {
		t.Fatalf("invite link = %q, %v", link, err)
	}
	submit("sign out", `form[action="/logout"] button`)

	run("open the invite", chromedp.Navigate(strings.TrimSpace(link)))
	notice, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#invited`)))
	if err != nil || !strings.Contains(notice, "You are invited") {
		t.Fatalf("invite page notice = %q, %v", notice, err)
	}
	submit("sign in with the mock", `a[href="/login/mock"]`)
	name, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#username`)))
	if err != nil || strings.TrimSpace(name) != "carol" {
		t.Fatalf("account page username = %q, %v", name, err)
	}
	groups, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#groups tbody`)))
	if err != nil || !strings.Contains(groups, "staff") || !strings.Contains(groups, "local") {
		t.Errorf("groups on /account = %q, %v", groups, err)
	}
}
