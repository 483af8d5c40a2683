package cimd

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/store"
)

// cgnat is the shared address space of carrier-grade NAT (RFC 6598),
// which netip does not classify.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// publicIP reports whether host is an IP address on the public internet.
func publicIP(host string) bool {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!ip.IsMulticast() && !ip.IsUnspecified() && !cgnat.Contains(ip)
}

// cacheAge is how long an answer may be reused (RFC 9111): 0 for
// no-store or no-cache, else max-age, else Expires, else DefaultAge;
// never more than MaxAge.
func cacheAge(h http.Header, now time.Time) time.Duration {
	age, found := time.Duration(0), false
	for _, d := range strings.Split(h.Get("Cache-Control"), ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(strings.ToLower(d)), "=")
		switch name {
		case "no-store", "no-cache":
			return 0
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
				age, found = time.Duration(min(n, int64(MaxAge/time.Second)))*time.Second, true
			}
		}
	}
	if !found && h.Get("Expires") != "" {
		found = true
		if exp, err := http.ParseTime(h.Get("Expires")); err == nil {
			base := now
			if d, err := http.ParseTime(h.Get("Date")); err == nil {
				base = d // Expires is relative to the server's clock
			}
			age = max(exp.Sub(base), 0)
		}
	}
	if !found {
		age = DefaultAge
	}
	return min(age, MaxAge)
}

// cached returns the answer cached for id, if it is still fresh: a
// client, or the error a refused document got.
func (r *Resolver) cached(id string, now time.Time) (entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[id]
	return e, ok && now.Before(e.expires)
}

// keep caches e, making room when full: expired entries go first, then
// any one (the cache is an optimisation; a dropped document is fetched again).
func (r *Resolver) keep(id string, e entry, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cache) >= cacheSize {
		for k, v := range r.cache {
			if !now.Before(v.expires) {
				delete(r.cache, k)
			}
		}
	}
	for k := range r.cache {
		if len(r.cache) < cacheSize {
			break
		}
		delete(r.cache, k)
	}
	r.cache[id] = e
}

// record writes the client row as the document now describes it: created
// on first sight (CreatedAt is when it was first seen), updated when the
// document changed, and left alone otherwise, so a document served
// no-store costs a read per request, not a write.
func (r *Resolver) record(ctx context.Context, cl *store.Client, now time.Time) error {
	cl.Kind, cl.Public, cl.SecretHash, cl.OwnerID, cl.Vetted = store.ClientMetadataDocument, true, "", "", false
	cl.CreatedAt, cl.UpdatedAt = now, now
	stored, err := r.store.GetClient(ctx, cl.ID)
	if errors.Is(err, store.ErrNotFound) {
		err = r.store.CreateClient(ctx, cl)
		if errors.Is(err, store.ErrAlreadyExists) { // another request was first
			return r.store.UpdateClient(ctx, cl)
		}
		return err
	}
	if err != nil {
		return err
	}
	// First seen and last used stay as recorded.
	cl.CreatedAt, cl.LastUsedAt = stored.CreatedAt, stored.LastUsedAt
	if sameDocument(stored, *cl) {
		cl.UpdatedAt = stored.UpdatedAt
		return nil
	}
	return r.store.UpdateClient(ctx, cl)
}

// sameDocument reports whether a stored client already says what the
// document says.
func sameDocument(a, b store.Client) bool {
	return a.Name == b.Name && a.LogoURL == b.LogoURL && slices.Equal(a.RedirectURIs, b.RedirectURIs) &&
		slices.Equal(a.Scopes, b.Scopes) && slices.Equal(a.GrantTypes, b.GrantTypes) && a.IDTokenAlg == b.IDTokenAlg &&
		a.Kind == b.Kind && a.Public == b.Public && a.SecretHash == b.SecretHash && a.OwnerID == b.OwnerID && a.Vetted == b.Vetted
}

// Used notes in the cache that the client's use at t was recorded, so
// the next token request does not record it again.
func (r *Resolver) Used(id string, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.cache[id]; ok && e.err == nil {
		e.client.LastUsedAt = t
		r.cache[id] = e
	}
}
