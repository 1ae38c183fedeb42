package driver

import (
	"context"
	"io"
)

// ExecDriver is the optional capability of a driver that can run a command
// inside a running task (drover alloc exec): in the task's isolation where
// the driver isolates, else beside it in the task's directory and
// environment.
type ExecDriver interface {
	// ExecTask runs opts.Command in the running task taskID and returns
	// once the command has exited and its output has been copied.
	// Cancelling ctx kills the command and returns ctx's error. An unknown
	// task is ErrTaskNotFound; a task that has exited, or a command that
	// cannot start, is an error naming the reason; a command that runs and
	// fails is an ExitResult. ExecTask does not wait for opts.Stdin to end:
	// the caller ends it after ExecTask returns.
	ExecTask(ctx context.Context, taskID string, opts ExecOptions) (*ExitResult, error)
}

// ExecOptions says what ExecTask runs and where its streams go.
type ExecOptions struct {
	// Command is the program and its arguments, resolved like the task's
	// command (in the task's root, its PATH).
	Command []string
	// TTY gives the command a terminal: Stdout then carries its whole
	// output, Stderr is unused, and the end of Stdin is sent as the
	// terminal's end-of-file character (^D) rather than closing it.
	TTY bool
	// Stdin feeds the command; nil means no input.
	Stdin io.Reader
	// Stdout and Stderr receive its output; nil discards it.
	Stdout, Stderr io.Writer
	// Size is the terminal's size at the start (TTY only); zero leaves the
	// system's default.
	Size TerminalSize
	// Resize carries later sizes of the terminal (TTY only) until it is
	// closed or the command ends; nil means it never changes. The command
	// gets SIGWINCH for each, as from a local terminal.
	Resize <-chan TerminalSize
}

// TerminalSize is a terminal's size in character cells.
type TerminalSize struct {
	Height int `json:"height"`
	Width  int `json:"width"`
}
