package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The registration mode: a configured token keeps meaning token mode (the
// configs written before apps.registration), none means off; the other keys'
// defaults; bad values named by key.
func TestAppsRegistrationAndMetadataDocuments(t *testing.T) {
	token := "t0123456789012345678901234567890123"
	for _, tc := range []struct {
		apps, mode, err string
	}{
		{"", RegistrationOff, ""},
		{"  registration_token: " + token + "\n", RegistrationToken, ""},
		{"  registration: open\n", RegistrationOpen, ""},
		{"  registration: open\n  registration_token: " + token + "\n", RegistrationOpen, ""},
		{"  registration: token\n", "", "apps.registration: token mode needs"},
		{"  registration: anyone\n", "", "apps.registration: must be token, open or off"},
		{"  metadata_documents: maybe\n", "", "apps.metadata_documents: must be on or off"},
		{"  dynamic_client_idle_ttl: 1m\n", "", "apps.dynamic_client_idle_ttl: must be at least 1h"},
	} {
		c, err := Load(write(t, "dev: true\napps:\n  creators: admins\n"+tc.apps), nil)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.mode, c.Apps.Registration, tc.apps)
		require.Equal(t, 720*time.Hour, c.Apps.DynamicClientIdleTTL)
		require.False(t, c.Apps.MetadataDocumentsOn(), "off by default")
	}
	c, err := Load(write(t, "dev: true\napps:\n  metadata_documents: on\n"), nil)
	require.NoError(t, err)
	require.True(t, c.Apps.MetadataDocumentsOn())
}
