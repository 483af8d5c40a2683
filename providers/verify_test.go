package providers

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestClassifyVerify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want VerifyFailure
		msg  string
	}{
		{fmt.Errorf("%w: check", ErrNotIssuedToUs), VerifyNotIssuedToUs, "not issued to this server"},
		{fmt.Errorf("%w: inactive", ErrTokenRejected), VerifyRejected, "rejected by gh"},
		{fmt.Errorf("%w: no introspection", ErrCannotProveAudience), VerifyCannotProve, "cannot prove"},
		{fmt.Errorf("wrapped: %w", &MissingScopeError{Scope: "read:org", Why: "to check your organisation"}), VerifyMissingScope, "lacks read:org"},
		{fmt.Errorf("%w: timeout", ErrUpstream), VerifyUpstreamFailed, "could not be reached"},
		{errors.New("anything else"), VerifyUpstreamFailed, "could not be reached"},
	} {
		got, msg := ClassifyVerify("gh", tc.err)
		if got != tc.want || !strings.Contains(msg, tc.msg) {
			t.Errorf("%v: %v %q, want %v %q", tc.err, got, msg, tc.want, tc.msg)
		}
	}
}
