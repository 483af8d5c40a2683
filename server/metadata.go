package server

import (
	"context"
	"time"

	"gatehouse/server/apps"
	"gatehouse/server/cimd"
	"gatehouse/server/oauth"
	"gatehouse/store"
)

// metadataResolver is the Client ID Metadata Document resolver, or nil
// when apps.metadata_documents is off. Private addresses are fetched only
// in dev mode (tests override through Options.MetadataDocuments).
func (s *Server) metadataResolver(now func() time.Time) *cimd.Resolver {
	if !s.cfg.Apps.MetadataDocumentsOn() {
		return nil
	}
	o := cimd.Options{AllowPrivate: s.cfg.Dev}
	if s.metaOpts != nil {
		o = *s.metaOpts
	}
	o.Now = now
	scopes := oauth.NewScopes(scopeList(s.cfg))
	parse := func(id string, body []byte) (store.Client, error) { return apps.FromDocument(id, body, scopes) }
	return cimd.New(o, parse, s.store)
}

// deleteIdleClients deletes dynamically registered clients unused for
// apps.dynamic_client_idle_ttl; an operator's apps are never deleted.
func (s *Server) deleteIdleClients(ctx context.Context) {
	now := s.now()
	n, err := s.store.DeleteIdleClients(ctx, store.ClientDynamic, now.Add(-s.cfg.Apps.DynamicClientIdleTTL), now)
	if err != nil && ctx.Err() == nil {
		s.log.Error("deleting idle dynamic clients", "err", err)
	} else if n > 0 {
		s.log.Info("deleted idle dynamic clients", "clients", n)
	}
}
