package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAllocExecInputBeforeSize: input that comes before the terminal's
// size (Nomad's client sends them from separate goroutines) is held until
// the size has come, so the command starts on a terminal of that size and
// still gets the input.
func TestAllocExecInputBeforeSize(t *testing.T) {
	srv := httptest.NewServer(New(Config{RPC: controlRPC("n1", nil), Client: execClient(t, "n1")}))
	defer srv.Close()
	script := `size=$(stty size); read line; echo "size $size line $line"`
	conn := dialExec(t, execURL(srv, testAlloc("").ID, "server", true, "/bin/sh", "-c", script))
	sendFrame(t, conn, `{"stdin":{"data":"aGVsbG8K"}}`) // "hello\n"
	sendFrame(t, conn, `{"tty_size":{"height":31,"width":97}}`)
	var tr execTranscript
	readExec(t, conn, &tr, nil)
	if out := tr.stdout.String(); !strings.Contains(out, "size 31 97 line hello") || !tr.exited || tr.exitCode != 0 {
		t.Fatalf("transcript %+v, output %q: want the size 31 97, the input and exit 0", &tr, out)
	}
}
