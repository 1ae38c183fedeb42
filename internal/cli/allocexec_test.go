package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// execAnswers serves the exec websocket of allocID: the session reads the
// caller's frames until stdin ends, then writes "ran <command> tty=<tty>
// input=<stdin>" to stdout and "note" to stderr, and exits with 3 for the
// command "fail", 0 otherwise. An unknown task is refused before the
// upgrade, and the command "gone" fails after it, as the agent does.
func execAnswers(f *fakeAgent) {
	up := websocket.Upgrader{}
	f.handle("GET /v1/client/allocation/"+allocID+"/exec", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("task") != "hello" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"Error": fmt.Sprintf("allocation cb3116cf has no task %q", q.Get("task"))})
			return
		}
		var command []string
		json.Unmarshal([]byte(q.Get("command")), &command)
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		if command[0] == "gone" {
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, `task "hello" is not running (dead)`), time.Now().Add(5*time.Second))
			return
		}
		var input strings.Builder
		for {
			var in struct {
				Stdin *struct {
					Data  []byte
					Close bool
				}
			}
			if err := conn.ReadJSON(&in); err != nil {
				return
			}
			if in.Stdin != nil {
				input.Write(in.Stdin.Data)
				if in.Stdin.Close {
					break
				}
			}
		}
		out := fmt.Sprintf("ran %s tty=%s input=%s\n", strings.Join(command, " "), q.Get("tty"), input.String())
		conn.WriteJSON(map[string]any{"stdout": map[string]any{"data": []byte(out)}})
		conn.WriteJSON(map[string]any{"stderr": map[string]any{"data": []byte("note\n")}})
		code := 0
		if command[0] == "fail" {
			code = 3
		}
		conn.WriteJSON(map[string]any{"exited": true, "result": map[string]any{"exit_code": code}})
		conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	}))
}

func TestAllocExecCommand(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
	}{
		{"alloc_exec", []string{"alloc", "exec", "cb31", "cat", "-n"}, "some input", 0},
		{"alloc_exec_task", []string{"alloc", "exec", "-task", "hello", "cb31", "fail"}, "", 3},
		{"alloc_exec_no_stdin", []string{"alloc", "exec", "-i=false", "cb31", "cat"}, "unread", 0},
		{"alloc_exec_tty", []string{"alloc", "exec", "-t", "cb31", "/bin/sh"}, "exit\n", 0},
		{"alloc_exec_escape", []string{"alloc", "exec", "-t", "cb31", "/bin/sh"}, "~~x\n~.ignored", 1},
		{"alloc_exec_job", []string{"alloc", "exec", "-job", "hello", "id"}, "", 0},
		{"alloc_exec_unknown_task", []string{"alloc", "exec", "-task", "nope", "cb31", "id"}, "", 1},
		{"alloc_exec_several_tasks", []string{"alloc", "exec", "cb8f", "id"}, "", 2},
		{"alloc_exec_not_running", []string{"alloc", "exec", "cb31", "gone"}, "", 1},
		{"alloc_exec_no_command", []string{"alloc", "exec", "cb31"}, "", 2},
		{"alloc_exec_bad_escape", []string{"alloc", "exec", "-e", "ab", "cb31", "id"}, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			execAnswers(f)
			r := runCLI(context.Background(), t, f, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
		})
	}
}

// TestEscapeReader: the escape character followed by "." at the start of a
// line ends the input; doubled it passes once; elsewhere it passes as is.
func TestEscapeReader(t *testing.T) {
	tests := []struct {
		in, out string
		closed  bool
	}{
		{"plain ~ text\n", "plain ~ text\n", false},
		{"~.after", "", true},
		{"line\n~.after", "line\n", true},
		{"line\r~.after", "line\r", true},
		{"~~.\n", "~.\n", false},
		{"~x", "~x", false},
		{"a~.b", "a~.b", false},
	}
	for _, tt := range tests {
		closed := false
		// One byte at a time, so sequences split across reads are handled.
		r := &escapeReader{r: &oneByteReader{s: tt.in}, esc: '~', atLineStart: true, onClose: func() { closed = true }}
		var got strings.Builder
		buf := make([]byte, 1)
		for {
			n, err := r.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if got.String() != tt.out || closed != tt.closed {
			t.Errorf("%q: passed %q (closed %v), want %q (closed %v)", tt.in, got.String(), closed, tt.out, tt.closed)
		}
	}
}

type oneByteReader struct{ s string }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	p[0], r.s = r.s[0], r.s[1:]
	return 1, nil
}
