package driver

import (
	"fmt"
	"os"
	"sort"
	"sync"

	"github.com/drover-sh/drover/internal/logfile"
)

// TaskTable is a process driver's tasks by ID, with the IDs whose start is
// under way, so that one ID is never started twice and a lookup of an ID
// it lacks is ErrTaskNotFound. It is safe for concurrent use.
type TaskTable[T any] struct {
	kind string // the driver's name, for errors ("raw_exec task \"x\": ...")

	mu       sync.Mutex
	tasks    map[string]T
	starting map[string]bool
}

// NewTaskTable returns an empty table; kind names the driver in errors.
func NewTaskTable[T any](kind string) *TaskTable[T] {
	return &TaskTable[T]{kind: kind, tasks: map[string]T{}, starting: map[string]bool{}}
}

// Reserve claims id for a start. It fails when a task of that ID exists or
// is being started; a successful Reserve is followed by Release.
func (tt *TaskTable[T]) Reserve(id string) error {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if _, dup := tt.tasks[id]; dup || tt.starting[id] {
		return fmt.Errorf("task %q already exists", id)
	}
	tt.starting[id] = true
	return nil
}

// Release ends the claim Reserve made, whether or not the task started.
func (tt *TaskTable[T]) Release(id string) {
	tt.mu.Lock()
	delete(tt.starting, id)
	tt.mu.Unlock()
}

// Add records a started task under the ID it reserved.
func (tt *TaskTable[T]) Add(id string, t T) {
	tt.mu.Lock()
	tt.tasks[id] = t
	tt.mu.Unlock()
}

// AddIfAbsent records a recovered task unless the table already holds
// one of that ID (recovered twice), and reports whether it did.
func (tt *TaskTable[T]) AddIfAbsent(id string, t T) bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if _, dup := tt.tasks[id]; dup {
		return false
	}
	tt.tasks[id] = t
	return true
}

// Get returns the task of id, or an error wrapping ErrTaskNotFound.
func (tt *TaskTable[T]) Get(id string) (T, error) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	t, ok := tt.tasks[id]
	if !ok {
		return t, fmt.Errorf("%s task %q: %w", tt.kind, id, ErrTaskNotFound)
	}
	return t, nil
}

// Remove forgets the task of id.
func (tt *TaskTable[T]) Remove(id string) {
	tt.mu.Lock()
	delete(tt.tasks, id)
	tt.mu.Unlock()
}

// OpenTaskLog opens a task's log file (TaskConfig.StdoutPath or
// StderrPath) for the task to append to; an empty path is /dev/null.
func OpenTaskLog(path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	return logfile.OpenAppend(path)
}

// EnvList renders env as KEY=value pairs, sorted. It is never nil: a nil
// environment would make os/exec hand the task the agent's own.
func EnvList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
