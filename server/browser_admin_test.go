package server_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdmin: an administrator signs in with a password, disables a
// user and rotates a signing key through the admin pages.
func TestBrowserAdmin(t *testing.T) {
	s := newAdminSetup(t)
	before := s.keyIDs(t)
	ctx := newBrowser(t)
	st := step(t, ctx)

	if err := chromedp.Do(st, chromedp.Navigate(s.URL+"/admin")); err != nil {
		t.Fatal(err)
	}
	// Sent to sign-in; signing in comes back to /admin.
	for sel, v := range map[string]string{`#username`: "root", `#password`: "root password"} {
		if err := chromedp.Do(st, chromedp.SendKeys(chromedp.CSS(sel), v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chromedp.RunResponse(st, chromedp.Submit(chromedp.CSS(`#password`))); err != nil {
		t.Fatalf("password sign-in: %v", err)
	}
	count, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#account-count`)))
	if err != nil || strings.TrimSpace(count) != "2" {
		t.Fatalf("overview account count = %q, %v", count, err)
	}

	// Accounts: disable alice with her row's button.
	if _, err := chromedp.RunResponse(st, chromedp.Click(chromedp.CSS(`nav.admin a[href="/admin/users"]`))); err != nil {
		t.Fatalf("open accounts: %v", err)
	}
	if _, err := chromedp.RunResponse(st, chromedp.Click(chromedp.CSS(`#user-`+s.alice.ID+` form[action$="/disable"] button`))); err != nil {
		t.Fatalf("disable alice: %v", err)
	}
	notice, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`[role=status]`)))
	if err != nil || !strings.Contains(notice, "The account is disabled") {
		t.Errorf("notice after disabling = %q, %v", notice, err)
	}
	if !s.account(t, s.alice.ID).Disabled {
		t.Errorf("alice is not disabled")
	}
	button, err := chromedp.Run(st, chromedp.Text(chromedp.CSS(`#user-`+s.alice.ID+` form[action$="/enable"] button`)))
	if err != nil || strings.TrimSpace(button) != "Enable" {
		t.Errorf("alice's row offers %q, %v; want Enable", button, err)
	}

	// Signing keys: rotate the RS256 key.
	if _, err := chromedp.RunResponse(st, chromedp.Click(chromedp.CSS(`nav.admin a[href="/admin/keys"]`))); err != nil {
		t.Fatalf("open keys: %v", err)
	}
	if err := chromedp.Do(st, chromedp.SetValue(chromedp.CSS(`#alg`), "RS256")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(st, chromedp.Click(chromedp.CSS(`#rotate`))); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	notice, err = chromedp.Run(st, chromedp.Text(chromedp.CSS(`[role=status]`)))
	if err != nil || !strings.Contains(notice, "A new signing key was made") {
		t.Errorf("notice after rotating = %q, %v", notice, err)
	}
	var newKid string
	for _, kid := range s.keyIDs(t) {
		if !slices.Contains(before, kid) {
			newKid = kid
		}
	}
	if newKid == "" {
		t.Fatalf("no new key in the store")
	}
	signing, err := chromedp.Run(st, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("tr.key-signing code")].map(e => e.textContent)`))
	if err != nil || len(signing) != 2 || !slices.Contains(signing, newKid) {
		t.Errorf("signing keys shown = %q, %v; want two, one of them %s", signing, err, newKid)
	}
}
