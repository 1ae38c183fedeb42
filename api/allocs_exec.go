package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// execHeartbeat is how often an exec session sends an empty frame, so that
// proxies on the way do not close an idle session.
const execHeartbeat = 10 * time.Second

// TerminalSize is a terminal's size in character cells.
type TerminalSize struct {
	Height int `json:"height"`
	Width  int `json:"width"`
}

// ExecOptions says what Allocations.Exec runs and where its streams go.
type ExecOptions struct {
	// Task names the task to run the command in.
	Task string
	// Command is the program and its arguments.
	Command []string
	// TTY gives the command a terminal: Stdout then carries all its
	// output.
	TTY bool
	// Stdin is sent to the command until it ends; nil sends no input.
	// Exec does not wait for a read in progress to return, so a reader
	// that blocks (a terminal) may outlive the session.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output; nil discards it.
	Stdout, Stderr io.Writer
	// Resize carries the terminal's sizes (with TTY). A size already
	// waiting in it when Exec starts is sent before any input, so the
	// command starts with it.
	Resize <-chan TerminalSize
}

// execIO is one stream operation of an exec frame.
type execIO struct {
	Data  []byte `json:"data,omitempty"`
	Close bool   `json:"close,omitempty"`
}

// execInput is a frame to the agent; the zero value is a heartbeat.
type execInput struct {
	Stdin   *execIO       `json:"stdin,omitempty"`
	TTYSize *TerminalSize `json:"tty_size,omitempty"`
}

// execOutput is a frame from the agent.
type execOutput struct {
	Stdout *execIO `json:"stdout,omitempty"`
	Stderr *execIO `json:"stderr,omitempty"`
	Exited bool    `json:"exited,omitempty"`
	Result *struct {
		ExitCode int `json:"exit_code"`
	} `json:"result,omitempty"`
	// Error is the whole message of a failure, ahead of the close
	// message that may shorten it.
	Error string `json:"error,omitempty"`
}

// Exec runs a command in a task of the running allocation (full ID) over
// the exec websocket, and returns the command's exit code once it has
// exited and its output has been written. The agent the client talks to
// passes the session on to the allocation's node. An error before the
// session starts is an *Error (unknown allocation: drover.ErrNotFound;
// unknown task or bad command: drover.ErrInvalid; allocation not running:
// drover.ErrConflict); one during it carries the agent's message.
// Cancelling ctx ends the session, which kills the command.
func (a *Allocations) Exec(ctx context.Context, allocID string, opts ExecOptions) (int, error) {
	conn, err := a.c.dialExec(ctx, allocID, opts)
	if err != nil {
		return -1, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var mu sync.Mutex
	send := func(in execInput) error {
		mu.Lock()
		defer mu.Unlock()
		return conn.WriteJSON(in)
	}
	done := make(chan struct{})
	defer close(done)
	if opts.Resize != nil {
		select {
		case size := <-opts.Resize:
			if err := send(execInput{TTYSize: &size}); err != nil {
				return -1, fmt.Errorf("api: exec: send the terminal size: %w", err)
			}
		default:
		}
		go func() {
			for {
				select {
				case size, ok := <-opts.Resize:
					if !ok {
						return
					}
					send(execInput{TTYSize: &size}) // a broken connection ends the reads below
				case <-done:
					return
				}
			}
		}()
	}
	go sendStdin(opts.Stdin, send, done)
	go func() {
		t := time.NewTicker(execHeartbeat)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				send(execInput{})
			case <-done:
				return
			}
		}
	}()

	code, err := readExecOutput(conn, opts)
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	return code, err
}

// sendStdin sends r as stdin frames, then its end.
func sendStdin(r io.Reader, send func(execInput) error, done <-chan struct{}) {
	if r == nil {
		send(execInput{Stdin: &execIO{Close: true}})
		return
	}
	buf := make([]byte, 4<<10)
	for {
		n, err := r.Read(buf)
		select {
		case <-done:
			return
		default:
		}
		if n > 0 {
			if send(execInput{Stdin: &execIO{Data: buf[:n]}}) != nil {
				return
			}
		}
		if err != nil { // EOF, or input that cannot be read: either way it ends
			send(execInput{Stdin: &execIO{Close: true}})
			return
		}
	}
}

// readExecOutput writes the output frames to opts' writers until the exit
// frame, and returns its code.
func readExecOutput(conn *websocket.Conn, opts ExecOptions) (int, error) {
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	var failure string
	for {
		var out execOutput
		if err := conn.ReadJSON(&out); err != nil {
			var ce *websocket.CloseError
			switch {
			case failure != "":
				return -1, errors.New(failure)
			case errors.As(err, &ce) && ce.Text != "":
				return -1, errors.New(ce.Text)
			}
			return -1, fmt.Errorf("api: exec: the session ended before the command's exit: %w", err)
		}
		switch {
		case out.Error != "":
			failure = out.Error
		case out.Stdout != nil && len(out.Stdout.Data) > 0:
			if _, err := stdout.Write(out.Stdout.Data); err != nil {
				return -1, fmt.Errorf("api: exec: write stdout: %w", err)
			}
		case out.Stderr != nil && len(out.Stderr.Data) > 0:
			if _, err := stderr.Write(out.Stderr.Data); err != nil {
				return -1, fmt.Errorf("api: exec: write stderr: %w", err)
			}
		case out.Exited && out.Result != nil:
			return out.Result.ExitCode, nil
		}
	}
}

// dialExec opens the exec websocket; a refused upgrade is an *Error from
// the agent's JSON answer.
func (c *Client) dialExec(ctx context.Context, allocID string, opts ExecOptions) (*websocket.Conn, error) {
	if len(opts.Command) == 0 {
		return nil, errors.New("api: exec: no command")
	}
	cmd, err := json.Marshal(opts.Command)
	if err != nil {
		return nil, fmt.Errorf("api: exec: encode the command: %w", err)
	}
	u := *c.base
	u.Scheme = "ws"
	if c.base.Scheme == "https" {
		u.Scheme = "wss"
	}
	u.Path += "/v1/client/allocation/" + pathEscape(allocID) + "/exec"
	u.RawPath = ""
	u.RawQuery = url.Values{"task": {opts.Task}, "command": {string(cmd)}, "tty": {strconv.FormatBool(opts.TTY)}}.Encode()
	hdr := http.Header{}
	if c.token != "" {
		hdr.Set("X-Nomad-Token", c.token)
	}
	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 45 * time.Second, TLSClientConfig: c.tlsConfig()}
	conn, resp, err := dialer.DialContext(ctx, u.String(), hdr)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			defer resp.Body.Close()
			return nil, readError(resp)
		}
		return nil, fmt.Errorf("api: exec in allocation %s: %w", allocID, err)
	}
	return conn, nil
}

// tlsConfig is the TLS configuration of the client's HTTP transport, so a
// websocket trusts what the client's requests trust.
func (c *Client) tlsConfig() *tls.Config {
	if t, ok := c.http.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		return t.TLSClientConfig.Clone()
	}
	return nil
}
