package allocrunner

import (
	"fmt"
	"os"
	"path/filepath"
)

// Layout of an allocation directory, <root>/<allocID>:
//
//	alloc/data  alloc/logs  alloc/tmp      shared by the group's tasks
//	<task>/local  <task>/secrets (0700)  <task>/tmp
//
// The task directory <root>/<allocID>/<task> is the task's working
// directory.

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

// buildTaskDir creates a task's directory inside its allocation directory.
func buildTaskDir(taskDir string) error {
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
	return nil
}
