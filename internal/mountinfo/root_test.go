package mountinfo_test

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/mountinfo"
	"github.com/drover-sh/drover/internal/testutil"
)

// A tmpfs mounted under a directory keeps os.RemoveAll from removing it;
// RemoveAll here unmounts it first and leaves nothing in the mount table.
func TestRemoveAllUnmountsFirst(t *testing.T) {
	testutil.Require(t, testutil.Root)
	dir := t.TempDir()
	mp := filepath.Join(dir, "x", "secrets")
	if err := os.MkdirAll(mp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mp, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=64k"); err != nil {
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() { _ = mountinfo.UnmountUnder(dir) })
	if err := os.WriteFile(filepath.Join(mp, "f"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Hold a file open so that the plain unmount is busy.
	f, err := os.Open(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := mountinfo.Under(dir); len(got) != 1 {
		t.Fatalf("Under = %q, want the one mount", got)
	}
	if err := mountinfo.RemoveAll(filepath.Join(dir, "x")); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Fatalf("dir still there: %v", err)
	}
	if got, _ := mountinfo.Under(dir); len(got) != 0 {
		t.Fatalf("mounts left: %q", got)
	}
}
