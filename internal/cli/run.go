// Package cli implements the drover command line: `drover <noun> <verb>`,
// one file per command, talking to agents only through the api package.
//
// Conventions every command follows: single-dash flags parsed by the
// standard flag package; answers on stdout, progress and diagnostics on
// stderr; exit 0 on success, 1 on error, 2 on misuse (and `job run`/`job
// stop`/`job revert` exit 2 when the scheduler could not place every
// allocation, as Nomad's do; `job plan` exits 0 without allocation
// changes, 1 with, 255 on errors, as Nomad's does). Every command that
// reads from an agent takes -address and -token, and every read -json.
// Commands that read a job file share jobfile.go: -var/-var-file, the
// DROVER_VAR_/NOMAD_VAR_ environment, warnings and local validation.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"
)

// Run runs the drover command line. args are the whole command line
// (args[0] is the program name); getenv, stdin, stdout and stderr stand for
// the process's. It returns the exit code: 0 success, 1 error, 2 usage. A
// cancelled ctx (SIGINT/SIGTERM in main) ends long-running commands such
// as monitors and log follows cleanly.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, &Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// RunEnv is Run with the whole environment given as env.
//
// The name args[0] was called by matters: as "nomad" (installed or linked
// under Nomad's name) the command line prints that name in its usage lines,
// hints and errors, so what it suggests can be typed as is. Commands and
// flags are the same under either name.
func RunEnv(ctx context.Context, args []string, env *Env) int {
	if len(args) > 0 {
		if env.Name == "" {
			e := *env
			e.Name = progName(args[0])
			env = &e
		}
		args = args[1:]
	}
	return dispatch(ctx, env, args)
}

// usageError is returned by a command whose arguments are wrong: the
// dispatcher prints it with the command's usage to stderr and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// exitError ends a command with a code after the command printed what it
// had to say (so the dispatcher prints nothing more).
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitCode turns the error a command returned into its exit code, printing
// it once to stderr.
func exitCode(env *Env, cmd *command, fsHelp func(io.Writer), err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "Error: %s\n\n", ue.msg)
		printCommandHelp(env.Stderr, env.prog(), cmd, fsHelp)
		return cmd.failOr(2)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(env.Stderr, "Interrupted")
		return cmd.failOr(1)
	default:
		fmt.Fprintf(env.Stderr, "Error: %s\n", indentRest(err.Error()))
		if errors.Is(err, syscall.ECONNREFUSED) {
			fmt.Fprintf(env.Stderr, "Is a drover agent running there? Use -address or $%s to reach another one.\n", env.addrVar())
		}
		return cmd.failOr(1)
	}
}

// failOr returns the command's failCode, or code when it has none.
func (c *command) failOr(code int) int {
	if c.failCode != 0 {
		return c.failCode
	}
	return code
}

// indentRest keeps multi-line error messages readable under "Error: ".
func indentRest(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = "  " + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// clockKey keys the clock in a context; see withClock.
type clockKey struct{}

// withClock returns a ctx whose commands read the time from now, so tests
// print fixed timestamps and relative times.
func withClock(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, clockKey{}, now)
}

// clock returns the time source of ctx: the one withClock set, or time.Now.
func clock(ctx context.Context) func() time.Time {
	if now, ok := ctx.Value(clockKey{}).(func() time.Time); ok {
		return now
	}
	return time.Now
}
