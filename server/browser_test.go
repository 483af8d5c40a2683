package server_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newBrowser starts headless Chromium, or skips when it is not installed
// (CI installs it: see .ci/run).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("chromium not installed")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.Flag("headless", "new"), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		// The browser only ever loads our own pages on 127.0.0.1, and its
		// sandbox fails as root and in many CI containers.
		chromedp.NoSandbox)
	// Chromium sometimes exits at start on a loaded machine (it is short of
	// memory or processes for a moment); that says nothing about our pages,
	// so a failed start is tried again, up to three times.
	var err error
	for try := 0; try < 3; try++ {
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), append(opts, chromedp.UserDataDir(t.TempDir()))...)
		ctx, cancelB := chromedp.NewContext(actx)
		// The first call starts the browser; it must not carry a timeout.
		if err = chromedp.Do(ctx); err == nil {
			t.Cleanup(func() { cancelB(); cancelA() })
			return ctx
		}
		cancelB()
		cancelA()
	}
	t.Fatalf("start chromium: %v", err)
	return nil
}

// step bounds one browser action.
func step(t *testing.T, ctx context.Context) context.Context {
	s, cancel := context.WithTimeout(ctx, 30*time.Second)
	t.Cleanup(cancel)
	return s
}

func TestBrowserMockSignIn(t *testing.T) {
	ts := startServer(t, mockOnly)
	ctx := newBrowser(t)
	s := step(t, ctx)

	if err := chromedp.Do(s, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`a[href="/login/mock"]`)))
	if err != nil {
		t.Fatalf("click mock: %v", err)
	}
	if resp.Status != 200 {
		t.Errorf("status after sign-in = %d", resp.Status)
	}
	name, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`#username`)))
	if err != nil {
		t.Fatalf("read username: %v", err)
	}
	if strings.TrimSpace(name) != "carol" {
		t.Errorf("account page username = %q, want carol", name)
	}
	// Sign out through the form in the header.
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	loc, err := chromedp.Run(s, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/login") {
		t.Errorf("after sign-out at %s, want /login", loc)
	}
}

func TestBrowserGitHubSignInAndPassword(t *testing.T) {
	up := startUpstreams(t)
	ts := startServer(t, up.config())
	ctx := newBrowser(t)
	s := step(t, ctx)
	if err := chromedp.Do(s, chromedp.Navigate(ts.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`a[href="/login/github"]`)))
	if err != nil {
		t.Fatalf("click github: %v", err)
	}
	if resp.Status != 200 {
		t.Errorf("status after sign-in = %d", resp.Status)
	}
	name, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`#username`)))
	if err != nil || strings.TrimSpace(name) != "octo" {
		t.Fatalf("account username = %q, %v", name, err)
	}
	// Set a password with the form (labels and all), then sign in with it.
	if err := chromedp.Do(s, chromedp.SendKeys(chromedp.CSS(`#new`), "a long password")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(s, chromedp.Submit(chromedp.CSS(`#new`))); err != nil {
		t.Fatalf("set password: %v", err)
	}
	notice, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`[role=status]`)))
	if err != nil || !strings.Contains(notice, "password was saved") {
		t.Errorf("notice = %q, %v", notice, err)
	}
	if _, err := chromedp.RunResponse(s, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`))); err != nil {
		t.Fatal(err)
	}
	for sel, v := range map[string]string{`#username`: "octo", `#password`: "a long password"} {
		if err := chromedp.Do(s, chromedp.SendKeys(chromedp.CSS(sel), v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chromedp.RunResponse(s, chromedp.Submit(chromedp.CSS(`#password`))); err != nil {
		t.Fatalf("password sign-in: %v", err)
	}
	amr, err := chromedp.Run(s, chromedp.Text(chromedp.CSS(`dl.profile`)))
	if err != nil || !strings.Contains(amr, "pwd") {
		t.Errorf("after password sign-in: %q, %v", amr, err)
	}
}
