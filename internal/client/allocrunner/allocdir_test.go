package allocrunner

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/mountinfo"
	"github.com/drover-sh/drover/internal/testutil"
)

// secretsFS returns the file system type and mode of a task's secrets/.
func secretsFS(t *testing.T, dir string) (int64, os.FileMode) {
	t.Helper()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatalf("statfs %s: %v", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	return int64(fs.Type), fi.Mode().Perm()
}

// As root, a task's secrets/ is a tmpfs of mode 0700 that is unmounted when
// the allocation is destroyed; the directory goes with it and nothing is
// left in the mount table.
func TestSecretsTmpfsMountedAndGoneAfterDestroy(t *testing.T) {
	testutil.Require(t, testutil.Root)
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web", Config: map[string]any{}},
		&drover.Task{Name: "side", Config: map[string]any{}})
	h := newHarness(t, alloc)
	h.ar.Run()
	waitFor(t, "both tasks running", func() bool { return len(h.ar.RunningTasks()) == 2 })
	for _, task := range []string{"web", "side"} {
		dir := filepath.Join(h.ar.AllocDir(), task, "secrets")
		typ, mode := secretsFS(t, dir)
		if typ != unix.TMPFS_MAGIC || mode != 0o700 {
			t.Fatalf("%s: fs type %#x mode %v, want tmpfs (%#x) 0700", dir, typ, mode, unix.TMPFS_MAGIC)
		}
		if err := os.WriteFile(filepath.Join(dir, "token"), []byte("s3cret"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The tmpfs is bounded.
	big := make([]byte, 2*SecretsSize)
	if err := os.WriteFile(filepath.Join(h.ar.AllocDir(), "web", "secrets", "big"), big, 0o600); err == nil {
		t.Fatalf("wrote %d bytes into a %d byte secrets tmpfs", len(big), SecretsSize)
	}
	if err := h.ar.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if _, err := os.Stat(h.ar.AllocDir()); !os.IsNotExist(err) {
		t.Fatalf("alloc dir after destroy: %v", err)
	}
	testutil.NoMountsUnder(t, h.root)
}

// An agent that stops leaving its tasks running (or is killed) leaves the
// tmpfs mounted with the task's secrets in it; the next agent reattaches
// without mounting a second tmpfs over the first, and destroying the
// allocation then unmounts it.
func TestSecretsTmpfsSurvivesRestore(t *testing.T) {
	testutil.Require(t, testutil.Root)
	alloc := testAlloc(drover.JobTypeService, noRestart, &drover.Task{Name: "web", Config: map[string]any{}})
	h := newHarness(t, alloc)
	h.ar.Run()
	h.waitStatus(t, drover.AllocClientStatusRunning)
	secret := filepath.Join(h.ar.AllocDir(), "web", "secrets", "token")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.ar.Shutdown()
	ar2, err := New(Config{Alloc: alloc, Drivers: driver.NewRegistry(h.drv), AllocRoot: h.root, State: h.state})
	if err != nil {
		t.Fatal(err)
	}
	if err := ar2.Restore(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "running", func() bool { return ar2.Alloc().ClientStatus == drover.AllocClientStatusRunning })
	// Restore runs the task dir hook again; wait until it has passed.
	waitFor(t, "reattached handle", func() bool { return len(ar2.RunningTasks()) == 1 })
	if b, err := os.ReadFile(secret); err != nil || string(b) != "s3cret" {
		t.Fatalf("secret after restore: %q, %v (a new tmpfs hid the old one?)", b, err)
	}
	mps, err := mountinfo.Under(h.root)
	if err != nil {
		t.Fatal(err)
	}
	if len(mps) != 1 {
		t.Fatalf("mounts after restore %q, want exactly one secrets tmpfs", mps)
	}
	if err := ar2.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	testutil.NoMountsUnder(t, h.root)
}

// The secrets directory is 0700 whether or not it is a tmpfs (without
// root it is a plain directory), and building the task directory again (a
// restarted agent) mounts nothing more.
func TestSecretsDirModeAndRebuild(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "secrets"), 0o755); err != nil {
		t.Fatal(err)
	}
	// buildTaskDir fixes the mode of an existing directory.
	if err := buildTaskDir(dir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unmountAllocDir(dir) })
	_, mode := secretsFS(t, filepath.Join(dir, "secrets"))
	if mode != 0o700 {
		t.Fatalf("secrets mode %v, want 0700", mode)
	}
	// Building again (a restarted agent) mounts nothing more.
	if err := buildTaskDir(dir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	mps, err := mountinfo.Under(dir)
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 && len(mps) != 1 || os.Geteuid() != 0 && len(mps) != 0 {
		t.Fatalf("mounts %q after building twice", mps)
	}
	if err := removeAllocDir(dir); err != nil {
		t.Fatal(err)
	}
}
