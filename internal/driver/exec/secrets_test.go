package exec

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/driver/drivertest"
	"github.com/drover-sh/drover/internal/mountinfo"
	"github.com/drover-sh/drover/internal/testutil"
)

// TestSecretsTmpfsVisibleInTask: the client mounts a tmpfs on a task's
// secrets/ before the driver starts it; the exec task, in its own mount
// namespace and root, sees that tmpfs at /secrets (not the empty directory
// under it), can write there as its unprivileged user, and what it writes
// is in the client's tmpfs, not on disk.
func TestSecretsTmpfsVisibleInTask(t *testing.T) {
	testutil.Require(t, testutil.Root)
	d := newTestDriver(t, Config{})
	script := `echo fs="$(stat -f -c %T /secrets)"
if echo token > /secrets/token; then echo write=yes; else echo write=no; fi
echo mode="$(stat -c %a /secrets)"`
	cfg := drivertest.NewTaskConfig(t, "secrets-web", map[string]any{"command": "/bin/sh", "args": []any{"-c", script}})
	secrets := filepath.Join(cfg.TaskDir, "secrets")
	if err := os.MkdirAll(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", secrets, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=1m,mode=0700"); err != nil {
		t.Fatalf("mount: %v", err)
	}
	t.Cleanup(func() {
		if err := mountinfo.UnmountUnder(cfg.TaskDir); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	f := facts(t, d, cfg)
	if f["fs"] != "tmpfs" || f["write"] != "yes" || f["mode"] != "700" {
		t.Fatalf("inside the task: %v, want secrets a writable tmpfs of mode 700", f)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(secrets, &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
		t.Fatalf("host side of secrets is no longer the tmpfs: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(secrets, "token")); err != nil || string(b) != "token\n" {
		t.Fatalf("the task's secret is not in the client's tmpfs: %q, %v", b, err)
	}
	if err := mountinfo.UnmountUnder(cfg.TaskDir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(secrets, "token")); !os.IsNotExist(err) {
		t.Fatalf("the secret reached the disk under the tmpfs: %v", err)
	}
}
