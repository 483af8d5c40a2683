package cimd

import (
	"net/http"
	"testing"
	"time"
)

func TestPublicIP(t *testing.T) {
	for host, want := range map[string]bool{
		"93.184.215.14": true, "2606:4700::1111": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"fd00::1": false, "169.254.169.254": false, "fe80::1": false, "100.64.0.1": false, "100.127.255.254": false,
		"0.0.0.0": false, "::": false, "224.0.0.1": false, "ff02::1": false, "255.255.255.255": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "example.com": false,
	} {
		if got := publicIP(host); got != want {
			t.Errorf("publicIP(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCacheAge(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"nothing", hdr(), DefaultAge},
		{"max-age", hdr("Cache-Control", "public, max-age=120"), 2 * time.Minute},
		{"max-age capped", hdr("Cache-Control", "max-age=999999"), MaxAge},
		{"no-store wins", hdr("Cache-Control", "max-age=120, no-store"), 0},
		{"no-cache", hdr("Cache-Control", "no-cache"), 0},
		{"max-age over Expires", hdr("Cache-Control", "max-age=60", "Expires", now.Add(time.Hour).Format(http.TimeFormat)), time.Minute},
		{"Expires against Date", hdr("Date", now.Add(-time.Hour).Format(http.TimeFormat), "Expires", now.Format(http.TimeFormat)), time.Hour},
		{"Expires against our clock", hdr("Expires", now.Add(10*time.Minute).Format(http.TimeFormat)), 10 * time.Minute},
		{"Expires in the past", hdr("Expires", now.Add(-time.Minute).Format(http.TimeFormat)), 0},
		{"bad Expires", hdr("Expires", "0"), 0},
	} {
		if got := cacheAge(tc.h, now); got != tc.want {
			t.Errorf("%s: cacheAge = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for id, ok := range map[string]bool{
		"https://app.example/client.json": true, "https://app.example/": false, "https://app.example": false,
		"http://app.example/c.json": false, "https://u:p@app.example/c.json": false, "https://app.example/c.json#x": false,
		"https://app.example/a/../c.json": false, "https://app.example/./c.json": false,
	} {
		if got := checkURL(id) == ""; got != ok {
			t.Errorf("checkURL(%q) ok = %v, want %v (%s)", id, got, ok, checkURL(id))
		}
	}
}

// The cache stays within its bound, dropping expired entries first.
func TestCacheBounded(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	r := &Resolver{cache: map[string]entry{}, now: func() time.Time { return now }}
	r.keep("old", entry{expires: now.Add(-time.Second)}, now)
	for i := range cacheSize + 10 {
		r.keep(string(rune('a'+i%26))+time.Duration(i).String(), entry{expires: now.Add(time.Hour)}, now)
	}
	if len(r.cache) > cacheSize {
		t.Fatalf("cache holds %d, bound %d", len(r.cache), cacheSize)
	}
	if _, ok := r.cache["old"]; ok {
		t.Error("an expired entry survived a full cache")
	}
}
