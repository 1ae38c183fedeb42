package allocrunner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/drover-sh/drover"
)

// dispatchPayloadHook writes a dispatched job's payload into the task's
// local directory, at the task's dispatch_payload file, before the task
// starts. The file must stay inside local/: a path that escapes it, or one
// that a symlink left in local/ would lead out of it, fails the task.
type dispatchPayloadHook struct{}

func (dispatchPayloadHook) Name() string { return "dispatch_payload" }

func (dispatchPayloadHook) Prestart(_ context.Context, tr *taskRunner) error {
	dp := tr.task.DispatchPayload
	alloc := tr.alloc()
	if dp == nil || dp.File == "" || alloc == nil || alloc.Job == nil || !alloc.Job.Dispatched {
		return nil
	}
	if err := writePayload(filepath.Join(tr.taskDir, "local"), dp.File, alloc.Job.Payload); err != nil {
		return &hookFailure{eventType: drover.TaskSetupFailure, err: fmt.Errorf("dispatch payload: %w", err)}
	}
	return nil
}

// writePayload writes payload to file (relative) under localDir, creating
// the directories between. It writes a temporary file and renames it, so a
// symlink at the target is replaced rather than followed.
func writePayload(localDir, file string, payload []byte) error {
	rel := filepath.Clean(file)
	if filepath.IsAbs(file) || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("file %q escapes the task's local directory", file)
	}
	target := filepath.Join(localDir, rel)
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := inside(localDir, dir); err != nil {
		return fmt.Errorf("file %q: %w", file, err)
	}
	tmp, err := os.CreateTemp(dir, ".payload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(payload); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}

// inside checks that dir, with symlinks resolved, is root or below it.
func inside(root, dir string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(realRoot, realDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("its directory leads out of the task's local directory (through a symlink)")
	}
	return nil
}
