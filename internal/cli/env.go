package cli

import (
	"context"
	"io"
)

// Env is what a command may touch of the outside world. Commands never read
// os.Args, os.Getenv or os.Stdout directly, so tests drive them in-process.
type Env struct {
	Getenv func(string) string
	// Environ lists the environment as KEY=value (nil: empty), for
	// commands that read variables by prefix (NOMAD_VAR_*).
	Environ func() []string
	Stdin   io.Reader
	Stdout  io.Writer // answers
	Stderr  io.Writer // progress and diagnostics
	// Name is the program name that usage lines, hints and errors print:
	// "drover", or "nomad" when the binary is installed or linked under
	// that name (see progname.go). "" means "drover".
	Name string
}

// commandFunc runs one command with its arguments (after the command words)
// and returns the exit code: 0 success, 1 error, 2 usage.
type commandFunc func(ctx context.Context, env *Env, args []string) int

// environ returns the environment list, or nil when Environ is unset.
func (e *Env) environ() []string {
	if e.Environ == nil {
		return nil
	}
	return e.Environ()
}
