package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// GET /v1/client/allocation/<alloc>/exec?task=T&command=<JSON array>&tty=
// runs a command in a task of a running allocation over a websocket, in
// the shape of Nomad's endpoint, so Nomad's client works against it.
//
// The request is checked before the upgrade, and a bad one gets the usual
// JSON error and status. After the upgrade the caller sends JSON frames
//
//	{"stdin":{"data":"<base64>"}}   input
//	{"stdin":{"close":true}}        end of input
//	{"tty_size":{"height":H,"width":W}}
//	{}                              heartbeat, ignored
//
// and the agent sends {"stdout":{"data":"<base64>"}} and
// {"stderr":{"data":...}}, {"stdout":{"close":true}} (and stderr) when
// the output ends, then {"exited":true,"result":{"exit_code":N}} and a
// normal close. A failure after the upgrade (the command cannot start, the
// task stopped) is a close message whose text is the error, with code 1011
// for an internal error and 1008 otherwise, as Nomad's; a frame
// {"error":"..."} before it carries the whole message, which a close
// message may have to shorten.

// ExecIO is one stream operation of an exec frame: base64 data (as
// encoding/json writes []byte) or the stream's end.
type ExecIO struct {
	Data  []byte `json:"data,omitempty"`
	Close bool   `json:"close,omitempty"`
}

// ExecInput is a frame from the caller.
type ExecInput struct {
	Stdin   *ExecIO              `json:"stdin,omitempty"`
	TTYSize *driver.TerminalSize `json:"tty_size,omitempty"`
}

// ExecExitResult is the result of an exited command.
type ExecExitResult struct {
	ExitCode int `json:"exit_code"`
}

// ExecOutput is a frame to the caller. Error is drover's addition: the
// whole message of a failure, sent before the close message, whose text
// a websocket limits to 123 bytes; Nomad's client ignores it.
type ExecOutput struct {
	Stdout *ExecIO         `json:"stdout,omitempty"`
	Stderr *ExecIO         `json:"stderr,omitempty"`
	Exited bool            `json:"exited,omitempty"`
	Result *ExecExitResult `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// execFirstFrameWait is how long a terminal session waits for the
// caller's terminal size before it starts the command: a command that
// reads its size at once (a shell, stty) should see it. Nomad's client
// sends the size and the input from separate goroutines, so input may
// come first; it is held until the command starts.
const execFirstFrameWait = 500 * time.Millisecond

// A session whose caller has vanished without closing the connection (a
// machine gone) is found by pings: websocket clients answer them on their
// own while they read.
const (
	execPingInterval = 20 * time.Second
	execIdleLimit    = 3 * execPingInterval
)

// execUpgrader upgrades exec requests. Its default origin check refuses a
// browser page of another origin; clients that send no Origin pass.
var execUpgrader = websocket.Upgrader{ReadBufferSize: 4 << 10, WriteBufferSize: 32 << 10}

// execParams are the checked query parameters.
type execParams struct {
	task    string
	command []string
	tty     bool
}

func parseExecParams(r *http.Request) (execParams, error) {
	var p execParams
	p.task = r.URL.Query().Get("task")
	if p.task == "" {
		return p, drover.Errorf(drover.ErrInvalid, "task is required: ?task=<name>")
	}
	raw := r.URL.Query().Get("command")
	if raw == "" {
		return p, drover.Errorf(drover.ErrInvalid, `command is required: ?command=<JSON array>, e.g. ["/bin/sh","-c","id"]`)
	}
	if err := json.Unmarshal([]byte(raw), &p.command); err != nil {
		return p, drover.Errorf(drover.ErrInvalid, "command %q is not a JSON array of strings: %v", raw, err)
	}
	if len(p.command) == 0 || p.command[0] == "" {
		return p, drover.Errorf(drover.ErrInvalid, "command %q names no program", raw)
	}
	tty, err := boolParam(r, "tty")
	if err != nil {
		return p, err
	}
	p.tty = tty
	return p, nil
}

// handleAllocExec serves the exec websocket for an allocation this agent's
// client runs, and proxies it to the agent of the node that runs it
// otherwise.
func handleAllocExec(rpc RPC, client Client, region string, log *slog.Logger) http.Handler {
	return withQuery(region, func(w http.ResponseWriter, r *http.Request, q drover.QueryOptions) {
		p, err := parseExecParams(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if !websocket.IsWebSocketUpgrade(r) {
			writeError(w, drover.Errorf(drover.ErrInvalid, "exec is a websocket endpoint: send a websocket upgrade request"))
			return
		}
		var reply drover.SingleAllocResponse
		args := &drover.AllocSpecificRequest{AllocID: r.PathValue("alloc"), QueryOptions: q}
		if err := rpc.RPC(r.Context(), drover.MethodAllocGetAlloc, args, &reply); err != nil {
			writeError(w, err)
			return
		}
		alloc := reply.Alloc
		if alloc == nil {
			writeError(w, notFound("alloc"))
			return
		}
		if tasks := allocTaskNames(alloc); !slices.Contains(tasks, p.task) {
			writeError(w, drover.Errorf(drover.ErrInvalid, "allocation %s has no task %q; its tasks: %s",
				drover.ShortID(alloc.ID), p.task, strings.Join(tasks, ", ")))
			return
		}
		if alloc.ClientTerminal() {
			writeError(w, drover.Errorf(drover.ErrConflict, "allocation %s is %s: its tasks run no more",
				drover.ShortID(alloc.ID), alloc.ClientStatus))
			return
		}
		if client != nil && alloc.NodeID == client.NodeID() {
			serveExec(w, r, client, alloc.ID, p, log)
			return
		}
		if r.Header.Get(forwardedHeader) != "" {
			writeError(w, drover.Errorf(drover.ErrNotSupported,
				"allocation %s runs on node %s (%s), not on this agent's node", drover.ShortID(alloc.ID), alloc.NodeName, alloc.NodeID))
			return
		}
		node, err := allocAgent(r.Context(), rpc, q, alloc)
		if err != nil {
			writeError(w, err)
			return
		}
		proxyToAgent(w, r, node, alloc.ID)
	})
}

// proxyToAgent passes the request, upgrade and all, to the agent of node,
// with the caller's token and the forwarded mark, and relays the
// connection both ways until either side closes.
func proxyToAgent(w http.ResponseWriter, r *http.Request, node *drover.Node, allocID string) {
	target := &url.URL{Scheme: "http", Host: node.HTTPAddr}
	if r.TLS != nil {
		target.Scheme = "https"
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// The caller's Host, so the websocket origin check on the
			// other agent judges the caller's Origin as this one would.
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(forwardedHeader, "1")
		},
		Transport: forwardClient.Transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeError(w, drover.Errorf(drover.ErrUnavailable,
				"allocation %s runs on node %s (%s), whose agent at %s did not answer: %v",
				drover.ShortID(allocID), node.Name, node.ID, node.HTTPAddr, err))
		},
	}
	proxy.ServeHTTP(w, r)
}

// serveExec upgrades the connection and runs the session through the local
// client.
func serveExec(w http.ResponseWriter, r *http.Request, client Client, allocID string, p execParams, log *slog.Logger) {
	conn, err := execUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the caller
	}
	defer conn.Close()
	s := &execSession{conn: conn, stdin: newExecStdin()}
	ctx, cancel := context.WithCancel(context.Background()) // the hijacked request's context may end with the upgrade
	defer cancel()

	opts := driver.ExecOptions{Command: p.command, TTY: p.tty, Stdin: s.stdin.r, Stdout: s.writer(false)}
	if p.tty {
		s.resize = make(chan driver.TerminalSize, 4)
		opts.Resize = s.resize
	} else {
		opts.Stderr = s.writer(true)
	}
	first := make(chan driver.TerminalSize, 1)
	go s.readInput(ctx, cancel, first)
	go s.ping(ctx)
	if p.tty {
		select {
		case size, ok := <-first:
			if ok {
				opts.Size = size
			}
		case <-ctx.Done():
		}
	}
	res, err := client.ExecAlloc(ctx, allocID, p.task, opts)
	s.stdin.close()
	if err != nil {
		log.Debug("exec session failed", "alloc_id", allocID, "task", p.task, "error", err)
		code := websocket.ClosePolicyViolation
		if statusOf(err) == http.StatusInternalServerError {
			code = websocket.CloseInternalServerErr
		}
		s.send(ExecOutput{Error: err.Error()})
		s.close(code, err.Error())
		return
	}
	s.send(ExecOutput{Stdout: &ExecIO{Close: true}})
	if !p.tty {
		s.send(ExecOutput{Stderr: &ExecIO{Close: true}})
	}
	s.send(ExecOutput{Exited: true, Result: &ExecExitResult{ExitCode: res.ExitCode}})
	s.close(websocket.CloseNormalClosure, "")
}

// execSession is one upgraded exec connection.
type execSession struct {
	conn   *websocket.Conn
	stdin  *execStdin
	resize chan driver.TerminalSize // nil without a terminal: sizes are dropped

	mu sync.Mutex // one writer at a time
}

// send writes one frame; a failure means the caller is gone, which the
// reader notices and which ends the command.
func (s *execSession) send(f ExecOutput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn.WriteJSON(f)
}

func (s *execSession) close(code int, text string) {
	if len(text) > 120 { // a close frame's payload is at most 125 bytes
		cut := 117
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "..."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(5*time.Second))
}

// writer returns the command's stdout (or stderr) as frames.
func (s *execSession) writer(stderr bool) io.Writer {
	return writerFunc(func(b []byte) (int, error) {
		op := &ExecIO{Data: b}
		f := ExecOutput{Stdout: op}
		if stderr {
			f = ExecOutput{Stderr: op}
		}
		if err := s.send(f); err != nil {
			return 0, err
		}
		return len(b), nil
	})
}

// readInput reads the caller's frames until the connection ends, which
// cancels the session (and kills the command). In a terminal session, the
// first terminal size goes to first, which is then closed; input that
// comes before it is held and passed on after it. When no size comes
// within execFirstFrameWait, first is closed without one. Later sizes go
// to the resize channel.
func (s *execSession) readInput(ctx context.Context, cancel context.CancelFunc, first chan<- driver.TerminalSize) {
	defer cancel()
	defer s.stdin.close()
	alive := func(string) error { return s.conn.SetReadDeadline(time.Now().Add(execIdleLimit)) }
	alive("")
	s.conn.SetPongHandler(alive)
	frames := make(chan ExecInput)
	go func() {
		defer close(frames)
		for {
			var in ExecInput
			if err := s.conn.ReadJSON(&in); err != nil {
				return
			}
			alive("")
			select {
			case frames <- in:
			case <-ctx.Done():
				return
			}
		}
	}()

	var held []ExecInput // input that came before the terminal's size
	if s.resize != nil {
		timer := time.NewTimer(execFirstFrameWait)
		defer timer.Stop()
	wait:
		for {
			select {
			case in, ok := <-frames:
				if !ok {
					close(first)
					return
				}
				if in.TTYSize != nil {
					first <- *in.TTYSize
					break wait
				}
				held = append(held, in)
			case <-timer.C:
				break wait
			case <-ctx.Done():
				close(first)
				return
			}
		}
	}
	// Released before held input is passed on: input waits for the
	// command, which waits for this.
	close(first)
	for _, in := range held {
		if !s.handleInput(ctx, in) {
			return
		}
	}
	for in := range frames {
		if !s.handleInput(ctx, in) {
			return
		}
	}
}

// handleInput passes one frame on: input to the command, a size to the
// terminal. It reports false when the session has ended.
func (s *execSession) handleInput(ctx context.Context, in ExecInput) bool {
	switch {
	case in.TTYSize != nil && s.resize == nil:
	case in.TTYSize != nil:
		select {
		case s.resize <- *in.TTYSize:
		case <-ctx.Done():
			return false
		}
	case in.Stdin != nil && len(in.Stdin.Data) > 0:
		s.stdin.write(in.Stdin.Data) // input after its end is dropped
	case in.Stdin != nil && in.Stdin.Close:
		s.stdin.close()
	}
	return true
}

// ping pings the caller every execPingInterval until the session ends; a
// caller that answers neither pings nor sends frames for execIdleLimit is
// gone, and its session ends.
func (s *execSession) ping(ctx context.Context) {
	t := time.NewTicker(execPingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(execPingInterval)); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// execStdin is the command's input: frames are written to a pipe the
// driver reads; writing blocks while the command does not read, as a
// terminal would.
type execStdin struct {
	r    *io.PipeReader
	w    *io.PipeWriter
	once sync.Once
}

func newExecStdin() *execStdin {
	r, w := io.Pipe()
	return &execStdin{r: r, w: w}
}

// write passes data on; false once the input has ended.
func (in *execStdin) write(b []byte) bool {
	_, err := in.w.Write(b)
	return err == nil
}

func (in *execStdin) close() { in.once.Do(func() { in.w.Close() }) }

// writerFunc is an io.Writer made of a function.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
