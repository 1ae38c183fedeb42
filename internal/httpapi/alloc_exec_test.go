package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
	"github.com/drover-sh/drover/internal/driver/drivertest"
	"github.com/drover-sh/drover/internal/driver/rawexec"
)

// execClient is a local client on node whose task "server" of every
// allocation is a real raw_exec task, so exec sessions run real commands
// with real pipes and terminals.
func execClient(t *testing.T, node string) *fakeClient {
	t.Helper()
	d := rawexec.New(nil, rawexec.Config{Enabled: true})
	cfg := drivertest.NewTaskConfig(t, "server", map[string]any{"command": "sleep", "args": []any{"1000"}})
	if _, err := d.StartTask(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.DestroyTask(cfg.ID, true) })
	return &fakeClient{Node: node, Exec: func(ctx context.Context, allocID, task string, opts driver.ExecOptions) (*driver.ExitResult, error) {
		if task != "server" {
			return nil, drover.Errorf(drover.ErrInvalid, "no task %q", task)
		}
		return d.ExecTask(ctx, cfg.ID, opts)
	}}
}

// execURL is the websocket address of the exec endpoint of srv.
func execURL(srv *httptest.Server, allocID, task string, tty bool, command ...string) string {
	cmd, _ := json.Marshal(command)
	q := url.Values{"task": {task}, "command": {string(cmd)}}
	if tty {
		q.Set("tty", "true")
	}
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/client/allocation/" + allocID + "/exec?" + q.Encode()
}

func dialExec(t *testing.T, target string) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(target, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", target, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	return conn
}

// execTranscript is what a session sent until it ended.
type execTranscript struct {
	stdout, stderr             strings.Builder
	stdoutClosed, stderrClosed bool
	exitCode                   int
	exited                     bool
	closeErr                   error  // how the connection ended after the frames
	errorFrame                 string // the whole error, ahead of the close
}

// readExec reads frames until the exit frame and the close after it, or
// until until returns true for the output so far (nil: never).
func readExec(t *testing.T, conn *websocket.Conn, tr *execTranscript, until func(*execTranscript) bool) {
	t.Helper()
	for {
		if until != nil && until(tr) {
			return
		}
		_, msg, err := conn.ReadMessage()
		if err != nil {
			tr.closeErr = err
			return
		}
		var f struct {
			Stdout *struct {
				Data  []byte `json:"data"`
				Close bool   `json:"close"`
			} `json:"stdout"`
			Stderr *struct {
				Data  []byte `json:"data"`
				Close bool   `json:"close"`
			} `json:"stderr"`
			Exited bool `json:"exited"`
			Result *struct {
				ExitCode int `json:"exit_code"`
			} `json:"result"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(msg, &f); err != nil {
			t.Fatalf("frame %s: %v", msg, err)
		}
		switch {
		case f.Stdout != nil:
			tr.stdout.Write(f.Stdout.Data)
			tr.stdoutClosed = tr.stdoutClosed || f.Stdout.Close
		case f.Stderr != nil:
			tr.stderr.Write(f.Stderr.Data)
			tr.stderrClosed = tr.stderrClosed || f.Stderr.Close
		case f.Exited && f.Result != nil:
			tr.exited, tr.exitCode = true, f.Result.ExitCode
		case f.Error != "":
			tr.errorFrame = f.Error
		default:
			t.Fatalf("unexpected frame %s", msg)
		}
	}
}

func sendFrame(t *testing.T, conn *websocket.Conn, frame string) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		t.Fatalf("send %s: %v", frame, err)
	}
}

// TestAllocExecStreams: without a terminal, stdin frames reach the
// command (heartbeats and sizes are ignored), its stdout and stderr come back as their own frames, each
// closed, then the exit code and a normal close.
func TestAllocExecStreams(t *testing.T) {
	srv := httptest.NewServer(New(Config{RPC: controlRPC("n1", nil), Client: execClient(t, "n1")}))
	defer srv.Close()
	conn := dialExec(t, execURL(srv, testAlloc("").ID, "server", false, "/bin/sh", "-c", "cat; echo oops >&2; exit 3"))
	sendFrame(t, conn, `{}`) // a heartbeat is ignored
	// Sizes mean nothing without a terminal: they are dropped, never held
	// up in front of the input.
	sendFrame(t, conn, `{"tty_size":{"height":5,"width":5}}`)
	sendFrame(t, conn, `{"tty_size":{"height":6,"width":6}}`)
	sendFrame(t, conn, `{"stdin":{"data":"aGVsbG8K"}}`)
	sendFrame(t, conn, `{"stdin":{"data":"d29ybGQK"}}`)
	sendFrame(t, conn, `{"stdin":{"close":true}}`)
	var tr execTranscript
	readExec(t, conn, &tr, nil)
	if tr.stdout.String() != "hello\nworld\n" || tr.stderr.String() != "oops\n" {
		t.Errorf("stdout %q, stderr %q; want the input back and oops", tr.stdout.String(), tr.stderr.String())
	}
	if !tr.exited || tr.exitCode != 3 || !tr.stdoutClosed || !tr.stderrClosed {
		t.Errorf("transcript %+v: want both streams closed and exit code 3", &tr)
	}
	if !websocket.IsCloseError(tr.closeErr, websocket.CloseNormalClosure) {
		t.Errorf("connection ended with %v, want a normal close", tr.closeErr)
	}
}

// TestAllocExecTTY: with a terminal, the first size frame sizes it before
// the command starts, and a later one resizes it (the command sees
// SIGWINCH and the new size).
func TestAllocExecTTY(t *testing.T) {
	srv := httptest.NewServer(New(Config{RPC: controlRPC("n1", nil), Client: execClient(t, "n1")}))
	defer srv.Close()
	script := `test -t 1 && echo "tty $(stty size)"; trap 'echo "resized $(stty size)"; exit 0' WINCH; echo ready; while :; do sleep 0.05; done`
	conn := dialExec(t, execURL(srv, testAlloc("").ID, "server", true, "/bin/sh", "-c", script))
	sendFrame(t, conn, `{"tty_size":{"height":25,"width":80}}`)
	var tr execTranscript
	readExec(t, conn, &tr, func(tr *execTranscript) bool { return strings.Contains(tr.stdout.String(), "ready") })
	if !strings.Contains(tr.stdout.String(), "tty 25 80") {
		t.Fatalf("output %q: want a terminal of 25x80", tr.stdout.String())
	}
	sendFrame(t, conn, `{"tty_size":{"height":50,"width":132}}`)
	readExec(t, conn, &tr, nil)
	if !strings.Contains(tr.stdout.String(), "resized 50 132") || !tr.exited || tr.exitCode != 0 {
		t.Fatalf("transcript %+v, output %q: want the resize seen and exit 0", &tr, tr.stdout.String())
	}
	if tr.stderr.Len() != 0 || tr.stderrClosed {
		t.Errorf("a terminal session sent stderr frames: %q", tr.stderr.String())
	}
}

// TestAllocExecBadRequests: what is wrong before the upgrade gets a JSON
// error with its status.
func TestAllocExecBadRequests(t *testing.T) {
	srv := httptest.NewServer(New(Config{RPC: controlRPC("n1", nil), Client: execClient(t, "n1")}))
	defer srv.Close()
	id := testAlloc("").ID
	base := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/client/allocation/"
	tests := []struct {
		name, target string
		code         int
		msg          string
	}{
		{"no task", base + id + `/exec?command=["id"]`, 400, "task is required"},
		{"no command", base + id + "/exec?task=server", 400, "command is required"},
		{"command not JSON", base + id + "/exec?task=server&command=id", 400, "not a JSON array"},
		{"empty command", base + id + "/exec?task=server&command=[]", 400, "names no program"},
		{"bad tty", base + id + `/exec?task=server&command=["id"]&tty=maybe`, 400, "tty"},
		{"unknown alloc", base + `nope/exec?task=server&command=["id"]`, 404, "not found"},
		{"unknown task", base + id + `/exec?task=nope&command=["id"]`, 400, `no task "nope"`},
	}
	for _, tt := range tests {
		_, resp, err := websocket.DefaultDialer.Dial(tt.target, nil)
		if err == nil || resp == nil {
			t.Errorf("%s: dial succeeded (%v)", tt.name, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.msg) {
			t.Errorf("%s: %d %q, want %d with %q", tt.name, resp.StatusCode, body, tt.code, tt.msg)
		}
	}
	// A plain GET is told to upgrade.
	resp, err := http.Get(srv.URL + "/v1/client/allocation/" + id + `/exec?task=server&command=["id"]`)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("plain GET: %d, want 400", resp.StatusCode)
	}
}

// TestAllocExecFailures: a session that fails after the upgrade ends with
// a close message carrying the error: 1008 for the caller's kind of
// error, 1011 for an internal one, as Nomad's.
func TestAllocExecFailures(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"not running", drover.Errorf(drover.ErrConflict, `task "server" is not running (dead)`), websocket.ClosePolicyViolation},
		{"no exec", drover.Errorf(drover.ErrNotSupported, "the mock driver cannot exec"), websocket.ClosePolicyViolation},
		{"cannot start", errors.New(`command "nope" not found in PATH`), websocket.CloseInternalServerErr},
		{"long", errors.New(strings.Repeat("é", 100)), websocket.CloseInternalServerErr},
	}
	for _, tt := range tests {
		client := &fakeClient{Node: "n1", Exec: func(context.Context, string, string, driver.ExecOptions) (*driver.ExitResult, error) {
			return nil, tt.err
		}}
		srv := httptest.NewServer(New(Config{RPC: controlRPC("n1", nil), Client: client}))
		conn := dialExec(t, execURL(srv, testAlloc("").ID, "server", false, "id"))
		var tr execTranscript
		readExec(t, conn, &tr, nil)
		var ce *websocket.CloseError
		wantText := tt.err.Error()
		if len(wantText) > 120 {
			wantText = strings.Repeat("é", 58) + "..." // cut at 117 bytes, on a character boundary
		}
		if !errors.As(tr.closeErr, &ce) || ce.Code != tt.code || ce.Text != wantText {
			t.Errorf("%s: ended with %v, want close %d %q", tt.name, tr.closeErr, tt.code, wantText)
		}
		if tr.errorFrame != tt.err.Error() {
			t.Errorf("%s: error frame %q, want the whole message %q", tt.name, tr.errorFrame, tt.err)
		}
		srv.Close()
	}
}

// TestAllocExecForwarded: an agent whose client does not run the
// allocation proxies the session to the agent that does, which serves it
// and refuses to forward again.
func TestAllocExecForwarded(t *testing.T) {
	runner := httptest.NewServer(New(Config{RPC: controlRPC("n1", nil), Client: execClient(t, "n1")}))
	defer runner.Close()
	addr := strings.TrimPrefix(runner.URL, "http://")
	other := httptest.NewServer(New(Config{RPC: controlRPC("n1", map[string]string{"n1": addr}), Client: &fakeClient{Node: "n2"}}))
	defer other.Close()

	conn := dialExec(t, execURL(other, testAlloc("").ID, "server", false, "/bin/sh", "-c", "read x; echo got $x; exit 7"))
	sendFrame(t, conn, `{"stdin":{"data":"Zm9yd2FyZGVkCg=="}}`)
	var tr execTranscript
	readExec(t, conn, &tr, nil)
	if tr.stdout.String() != "got forwarded\n" || tr.exitCode != 7 {
		t.Fatalf("forwarded session: stdout %q, exit %d; want the input back and 7", tr.stdout.String(), tr.exitCode)
	}

	// A forwarded request for an allocation elsewhere is not passed on.
	hdr := http.Header{forwardedHeader: {"1"}}
	_, resp, err := websocket.DefaultDialer.Dial(execURL(other, testAlloc("").ID, "server", false, "id"), hdr)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("a forwarded request for another node: %v, %v; want 501", err, resp)
	}
	resp.Body.Close()

	// The node's agent not answering is 503.
	gone := httptest.NewServer(New(Config{RPC: controlRPC("n1", map[string]string{"n1": "127.0.0.1:1"}), Client: &fakeClient{Node: "n2"}}))
	defer gone.Close()
	_, resp, err = websocket.DefaultDialer.Dial(execURL(gone, testAlloc("").ID, "server", false, "id"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a node whose agent does not answer: %v, %v; want 503", err, resp)
	}
	resp.Body.Close()
}
