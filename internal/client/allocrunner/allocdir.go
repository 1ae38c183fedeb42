package allocrunner

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/mountinfo"
)

// Layout of an allocation directory, <root>/<allocID>:
//
//	alloc/data  alloc/logs  alloc/tmp      shared by the group's tasks
//	<task>/local  <task>/secrets (0700)  <task>/tmp
//
// The task directory <root>/<allocID>/<task> is the task's working
// directory. When the agent runs as root, each task's secrets/ is a small
// tmpfs (SecretsSize, mode 0700, nosuid,nodev,noexec), so secrets written
// there never reach a disk; otherwise it is a plain 0700 directory. The
// tmpfs outlives the agent (a later agent reattaches to tasks that still
// use it) and is unmounted when the allocation is destroyed.

// SecretsSize bounds a task's secrets/ tmpfs.
const SecretsSize = 1 << 20

// LogDir returns the directory holding an allocation's task logs.
func LogDir(allocDir string) string { return filepath.Join(allocDir, "alloc", "logs") }

// buildAllocDir creates the shared part of an allocation directory.
func buildAllocDir(allocDir string) error {
	for _, d := range []string{"data", "logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(allocDir, "alloc", d), 0o755); err != nil {
			return fmt.Errorf("build alloc dir: %w", err)
		}
	}
	return nil
}

// buildTaskDir creates a task's directory inside its allocation directory
// and mounts the secrets tmpfs when it can.
func buildTaskDir(taskDir string, logger *slog.Logger) error {
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"local", 0o755}, {"secrets", 0o700}, {"tmp", 0o755}} {
		p := filepath.Join(taskDir, d.name)
		if err := os.MkdirAll(p, d.mode); err != nil {
			return fmt.Errorf("build task dir: %w", err)
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("build task dir: %w", err)
		}
	}
	return mountSecrets(filepath.Join(taskDir, "secrets"), logger)
}

// mountSecrets mounts a tmpfs on dir unless one is there already (the
// task ran under an earlier agent and may be using it). Without root, or
// where the mount is refused, dir stays a plain 0700 directory.
func mountSecrets(dir string, logger *slog.Logger) error {
	if os.Geteuid() != 0 {
		logger.Debug("secrets directory is a plain directory: tmpfs needs root", "dir", dir)
		return nil
	}
	mounted, err := isTmpfsMount(dir)
	if err != nil {
		return fmt.Errorf("build task dir: secrets: %w", err)
	}
	if mounted {
		return nil
	}
	opts := fmt.Sprintf("size=%d,mode=0700", SecretsSize)
	err = unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts)
	if err != nil {
		logger.Debug("secrets directory is a plain directory: tmpfs mount refused", "dir", dir, "error", err)
		return nil
	}
	return nil
}

// isTmpfsMount reports whether dir is the root of a tmpfs mounted there
// (its device differs from its parent's).
func isTmpfsMount(dir string) (bool, error) {
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		return false, fmt.Errorf("statfs %s: %w", dir, err)
	}
	if fs.Type != unix.TMPFS_MAGIC {
		return false, nil
	}
	var st, parent unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return false, fmt.Errorf("stat %s: %w", dir, err)
	}
	if err := unix.Stat(filepath.Dir(dir), &parent); err != nil {
		return false, fmt.Errorf("stat %s: %w", filepath.Dir(dir), err)
	}
	return st.Dev != parent.Dev, nil
}

// removeAllocDir unmounts the tasks' secrets (and anything else mounted
// in the allocation directory), then removes it.
func removeAllocDir(dir string) error {
	if err := mountinfo.RemoveAll(dir); err != nil {
		return fmt.Errorf("allocrunner: remove alloc dir: %w", err)
	}
	return nil
}

// unmountAllocDir unmounts what is mounted in the allocation directory and
// leaves its files.
func unmountAllocDir(dir string) error {
	if err := mountinfo.UnmountUnder(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("allocrunner: unmount in alloc dir: %w", err)
	}
	return nil
}
