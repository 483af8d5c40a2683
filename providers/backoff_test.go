package providers_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"gatehouse/providers"
)

// The back-off doubles from its minimum up to its maximum, a try that
// started before it (a concurrent caller) does not extend it, and a
// success ends it.
func TestBackoff(t *testing.T) {
	now := time.Unix(0, 0)
	b := providers.NewBackoff(time.Second, time.Minute, func() time.Time { return now })
	require.NoError(t, b.Check())
	boom := errors.New("boom")
	for _, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
		b.Failed(boom)
		b.Failed(boom) // concurrent: ignored
		now = now.Add(want*time.Second - time.Millisecond)
		err := b.Check()
		require.ErrorIs(t, err, providers.ErrRetryLater, "after %ds", want)
		require.ErrorContains(t, err, "boom")
		now = now.Add(time.Millisecond)
		require.NoError(t, b.Check(), "after %ds", want)
	}
	b.Succeeded()
	b.Failed(boom)
	now = now.Add(time.Second)
	require.NoError(t, b.Check(), "a success restarts the series at 1s")
}
