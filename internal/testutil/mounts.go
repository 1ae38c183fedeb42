package testutil

import (
	"testing"

	"github.com/drover-sh/drover/internal/mountinfo"
)

// AllocRoot returns a temporary directory for allocation directories. At
// cleanup, before the directory is removed, it unmounts what tasks left
// mounted there (their secrets tmpfs when the test runs as root): a test
// that ends with tasks still running, or an agent killed hard, leaves them
// by design.
func AllocRoot(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() {
		if err := mountinfo.UnmountUnder(dir); err != nil {
			t.Errorf("unmount under %s: %v", dir, err)
		}
	})
	return dir
}

// NoMountsUnder fails t when anything is mounted at or below dir.
func NoMountsUnder(t testing.TB, dir string) {
	t.Helper()
	mps, err := mountinfo.Under(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(mps) > 0 {
		t.Errorf("left mounted under %s: %q", dir, mps)
	}
}
