package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"gatehouse/server/tokens"
)

// TestBrowserAdminGroupsInvites: an administrator creates a group, adds
// alice to it and makes an invite into it, all in the browser.
func TestBrowserAdminGroupsInvites(t *testing.T) {
	s := newAdminSetup(t)
	ctx := newBrowser(t)
	st := step(t, ctx)
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
	run("open groups", chromedp.Navigate(s.URL+"/admin/groups"),
		chromedp.SendKeys(chromedp.CSS(`#username`), "root"), chromedp.SendKeys(chromedp.CSS(`#password`), "root password"))
	submit("sign in", `form[action="/login"] button[type=submit]`)

	run("fill the group form", chromedp.SendKeys(chromedp.CSS(`#name`), "ops"), chromedp.SendKeys(chromedp.CSS(`#description`), "On call"))
	submit("create group", `#create`)
	notice, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`[role=status]`)))
	if err != nil || !strings.Contains(notice, "The group is created") {
		t.Fatalf("notice after creating = %q, %v", notice, err)
	}
	run("fill the member form", chromedp.SendKeys(chromedp.CSS(`section.group input[name=username]`), "alice"))
	submit("add alice", `section.group form[action="/admin/groups/members"] button`)
	members, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`section.group tbody`)))
	if err != nil || !strings.Contains(members, "alice") {
		t.Errorf("members of ops = %q, %v", members, err)
	}

	submit("open invites", `nav.admin a[href="/admin/invites"]`)
	run("fill the invite form", chromedp.SetValue(chromedp.CSS(`#ttl`), "24h"), chromedp.Click(chromedp.CSS(`input[name=group][value=ops]`)))
	submit("make invite", `#create`)
	link, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#invite-link`)))
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(s.URL) + `/invite/([A-Za-z0-9_-]{43})$`).FindStringSubmatch(strings.TrimSpace(link))
	if err != nil || m == nil {
		t.Fatalf("invite link = %q, %v", link, err)
	}
	list, err := s.Store.ListInvites(context.Background())
	if err != nil || len(list) != 1 || list[0].TokenHash != tokens.HashToken(m[1]) || strings.Join(list[0].Groups, ",") != "ops" || list[0].Admin {
		t.Errorf("stored invites = %+v, %v", list, err)
	}
	status, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#invite-`+list[0].ID+` td.status`)))
	if err != nil || strings.TrimSpace(status) != "pending" {
		t.Errorf("listed status = %q, %v", status, err)
	}
}
