// Package apis registers the APIs apps ask tokens for (RFC 8707 resource
// indicators): the checks and the one way to create an API, shared by
// the CLI and the admin pages, and their audit events.
package apis

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gatehouse/server/oauth"
	"gatehouse/server/tokens"
	"gatehouse/store"
)

// Audit event types.
const (
	EventCreated = "api.created"
	EventUpdated = "api.updated"
	EventDeleted = "api.deleted"
)

// Spec is what an operator says about an API.
type Spec struct {
	Identifier string
	Name       string
	Scopes     []store.APIScope
	AccessTTL  time.Duration
}

// maxDescription bounds names and scope descriptions (shown on consent).
const maxDescription = 200

// scopeName is what an API may call a scope: no spaces (scope parameters
// are space-separated), the characters APIs use ("read:things", "a/b").
var scopeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$`)

// Validate reports every problem with s, each naming its field.
func Validate(s *Spec) error {
	var errs []error
	if err := store.CheckAPIIdentifier(s.Identifier); err != nil {
		errs = append(errs, fmt.Errorf("identifier: %w", err))
	}
	s.Name = strings.TrimSpace(s.Name)
	if !utf8.ValidString(s.Name) || utf8.RuneCountInString(s.Name) > maxDescription {
		errs = append(errs, fmt.Errorf("name: at most %d characters of UTF-8 text", maxDescription))
	}
	if s.AccessTTL < 0 || s.AccessTTL > 24*time.Hour {
		errs = append(errs, errors.New("access TTL: between 0 (the default) and 24h"))
	}
	seen := map[string]bool{}
	for _, sc := range s.Scopes {
		errs = append(errs, checkScope(sc, seen[sc.Name]))
		seen[sc.Name] = true
	}
	return errors.Join(errs...)
}

func checkScope(sc store.APIScope, dup bool) error {
	switch {
	case !scopeName.MatchString(sc.Name):
		return fmt.Errorf("scope %q: 1 to 64 letters, digits and . _ : / -, starting with a letter or digit", sc.Name)
	case slices.ContainsFunc(oauth.BuiltinScopes, func(b oauth.Scope) bool { return b.Name == sc.Name }):
		return fmt.Errorf("scope %q: a built-in scope; an API's scopes are its own", sc.Name)
	case dup:
		return fmt.Errorf("scope %q: named twice", sc.Name)
	case !utf8.ValidString(sc.Description) || utf8.RuneCountInString(sc.Description) > maxDescription:
		return fmt.Errorf("scope %q: a description of at most %d characters of UTF-8 text", sc.Name, maxDescription)
	}
	return nil
}

// ParseScope reads "name[=description]".
func ParseScope(s string) store.APIScope {
	name, desc, _ := strings.Cut(s, "=")
	return store.APIScope{Name: strings.TrimSpace(name), Description: strings.TrimSpace(desc)}
}

// New validates spec and makes the API it describes, with its
// introspection secret (shown once; the API keeps only its hash).
func New(spec Spec, now time.Time) (store.API, string, error) {
	if err := Validate(&spec); err != nil {
		return store.API{}, "", err
	}
	secret := tokens.RandomToken()
	return store.API{ID: store.NewID(), Identifier: spec.Identifier, Name: spec.Name, Scopes: spec.Scopes,
		AccessTTL: spec.AccessTTL, SecretHash: tokens.HashToken(secret), CreatedAt: now}, secret, nil
}

// Create registers the API spec describes with its audit event (by: an
// account ID or "cli") in one transaction, and returns it and its
// introspection secret.
func Create(ctx context.Context, st store.Store, spec Spec, by string, now time.Time) (store.API, string, error) {
	api, secret, err := New(spec, now)
	if err != nil {
		return store.API{}, "", err
	}
	err = st.InTx(ctx, func(tx store.Store) error {
		if err := tx.CreateAPI(ctx, &api); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, Event(EventCreated, by, api.Identifier, now))
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return store.API{}, "", Exists(spec.Identifier)
	}
	return api, secret, err
}

// Exists is the refusal of a second API with identifier.
func Exists(identifier string) error {
	return fmt.Errorf("identifier: an API %s exists already", identifier)
}

// ParseScopes reads scopes one per line, "name[=description]"; blank
// lines are skipped.
func ParseScopes(text string) []store.APIScope {
	var out []store.APIScope
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, ParseScope(line))
		}
	}
	return out
}

// FormatScopes is ParseScopes' inverse, for a form.
func FormatScopes(scopes []store.APIScope) string {
	var b strings.Builder
	for _, s := range scopes {
		b.WriteString(s.Name)
		if s.Description != "" {
			b.WriteString("=" + s.Description)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Delete removes the API with its audit event; store.ErrNotFound.
func Delete(ctx context.Context, st store.Store, identifier, by string, now time.Time) error {
	return st.InTx(ctx, func(tx store.Store) error {
		if err := tx.DeleteAPI(ctx, identifier); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, Event(EventDeleted, by, identifier, now))
	})
}

// Event is the audit event of a change to the API identifier.
func Event(typ, by, identifier string, now time.Time) *store.AuditEvent {
	return &store.AuditEvent{ID: store.NewID(), Time: now, Type: typ, Detail: store.Detail("api", identifier, "by", by)}
}
