package exec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover/internal/driver"
)

// DefaultExecSocketDir holds the sockets through which the agent asks a
// task's init to run commands in the task (drover alloc exec). Only root
// may enter it.
const DefaultExecSocketDir = "/run/drover/exec"

// execSocket is the socket of the task with the given ID: a hash of the ID
// (unix socket paths are short), found again by a restarted agent.
func (d *Driver) execSocket(id string) string {
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(d.cfg.ExecSocketDir, hex.EncodeToString(sum[:16])+".sock")
}

// exitFile is where the task's init leaves its exit for a restarted agent.
func (d *Driver) exitFile(id string) string {
	return strings.TrimSuffix(d.execSocket(id), ".sock") + ".exit"
}

// ExecOptions says what ExecTask runs and where its streams go.
type ExecOptions = driver.ExecOptions

var _ driver.ExecDriver = (*Driver)(nil)

// ExecTask runs a command inside a running task's isolation: its
// namespaces, root, user, capabilities, environment and cgroup. It returns
// once the command has exited and its output has been copied; cancelling
// ctx kills the command. A command that cannot start is an error naming
// it; a command that runs and fails is an ExitResult.
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts ExecOptions) (*driver.ExitResult, error) {
	t, err := d.lookup(taskID)
	if err != nil {
		return nil, err
	}
	if t.Exited() {
		return nil, fmt.Errorf("exec in task %q: task has exited", taskID)
	}
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, fmt.Errorf("exec in task %q: no command", taskID)
	}
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "unix", d.execSocket(taskID))
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: reach its init: %w", taskID, err)
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.CloseWrite() }) // the init kills the command
	defer stop()

	streams, err := driver.OpenExecStreams(opts)
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: %w", taskID, err)
	}
	defer streams.Close()
	req, _ := json.Marshal(execRequest{Command: opts.Command, TTY: opts.TTY})
	_, _, err = conn.WriteMsgUnix(req, unix.UnixRights(streams.RemoteFDs()...), nil)
	streams.CloseRemote() // the init holds them now
	if err != nil {
		return nil, fmt.Errorf("exec in task %q: send request: %w", taskID, err)
	}
	var rep execReply
	decErr := json.NewDecoder(conn).Decode(&rep)
	streams.Wait(ctx)
	switch {
	case ctx.Err() != nil: // the command was killed for it
		return nil, fmt.Errorf("exec in task %q: %w", taskID, ctx.Err())
	case decErr != nil:
		return nil, fmt.Errorf("exec in task %q: read the result: %w", taskID, decErr)
	case rep.Error != "":
		return nil, fmt.Errorf("exec in task %q: %s", taskID, rep.Error)
	}
	return &driver.ExitResult{ExitCode: rep.ExitCode, Signal: rep.Signal}, nil
}
