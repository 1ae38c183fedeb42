package compat_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/drover-sh/drover/internal/testutil"
)

// catFile reads a file of an allocation directory through AllocFS().Cat.
func catFile(d *devAgent, a *nomad.Allocation, path string) (string, error) {
	rc, err := d.api.AllocFS().Cat(a, path, nil)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// TestAllocsFS: AllocFS's List, Stat, Cat and ReadAt decode the
// allocation directory's entries and read its files; a missing file is a
// 404 and a path out of the directory a 400.
func TestAllocsFS(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]

	root, meta, err := d.api.AllocFS().List(a, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if meta == nil {
		t.Error("List() returned no query meta")
	}
	var names []string
	for _, f := range root {
		names = append(names, f.Name)
		if !f.IsDir || !strings.HasPrefix(f.FileMode, "d") || f.ModTime.IsZero() || time.Since(f.ModTime) > time.Minute {
			t.Errorf("entry %+v, want a directory modified in the last minute", f)
		}
	}
	if !slices.Equal(names, []string{"alloc", "main"}) {
		t.Errorf("List(/) = %v, want [alloc main]", names)
	}

	logs, _, err := d.api.AllocFS().List(a, "alloc/logs", nil)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, f := range logs {
		if f.IsDir || !strings.HasPrefix(f.FileMode, "-") {
			t.Errorf("log entry %+v, want a regular file", f)
		}
		sizes[f.Name] = f.Size
	}
	if sizes["main.stdout"] != 6 || sizes["main.stderr"] != 5 {
		t.Errorf("List(alloc/logs) sizes %v, want main.stdout 6 and main.stderr 5 bytes", sizes)
	}

	st, _, err := d.api.AllocFS().Stat(a, "main/local/greeting.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "greeting.txt" || st.IsDir || st.Size != int64(len("greetings\n")) || st.FileMode != "-rw-r--r--" ||
		!strings.HasPrefix(st.ContentType, "text/plain") || time.Since(st.ModTime) > time.Minute {
		t.Errorf("Stat(main/local/greeting.txt) = %+v", st)
	}
	dir, _, err := d.api.AllocFS().Stat(a, "main/local", nil)
	if err != nil || !dir.IsDir || dir.Name != "local" {
		t.Errorf("Stat(main/local) = %+v, %v; want the directory", dir, err)
	}

	if got, err := catFile(d, a, "main/local/greeting.txt"); err != nil || got != "greetings\n" {
		t.Errorf("Cat = %q, %v; want %q", got, err, "greetings\n")
	}
	for _, tc := range []struct {
		offset, limit int64
		want          string
	}{
		{0, 5, "greet"},
		{5, 3, "ing"},
		{5, 100, "ings\n"},
		{3, 0, "etings\n"},  // the client's "no limit"
		{3, -1, "etings\n"}, // also "no limit"
		{100, 4, ""},
	} {
		rc, err := d.api.AllocFS().ReadAt(a, "main/local/greeting.txt", tc.offset, tc.limit, nil)
		if err != nil {
			t.Errorf("ReadAt(%d, %d): %v", tc.offset, tc.limit, err)
			continue
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(b) != tc.want {
			t.Errorf("ReadAt(%d, %d) = %q, %v; want %q", tc.offset, tc.limit, b, err, tc.want)
		}
	}

	_, _, err = d.api.AllocFS().Stat(a, "main/local/nosuch", nil)
	wantStatus(t, "Stat(missing file)", err, 404, "does not exist")
	_, err = d.api.AllocFS().Cat(a, "main/local/nosuch", nil)
	wantStatus(t, "Cat(missing file)", err, 404, "does not exist")
	_, _, err = d.api.AllocFS().List(a, "../../../etc", nil)
	wantStatus(t, "List(../../../etc)", err, 400, "outside")
	_, err = d.api.AllocFS().ReadAt(a, "../../../etc/passwd", 0, 10, nil)
	wantStatus(t, "ReadAt(../../../etc/passwd)", err, 400, "outside")
}

// TestAllocsFSStream: AllocFS().Stream follows a file: it delivers what is
// there from the offset, then what is appended, in frames that carry the
// file's path and offset.
func TestAllocsFSStream(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]

	cancel := make(chan struct{})
	defer close(cancel)
	frames, errs := d.api.AllocFS().Stream(a, "alloc/logs/main.stdout", nomad.OriginStart, 1, cancel, nil)
	var data strings.Builder
	var last *nomad.StreamFrame
	signalled := false
	timeout := time.After(30 * time.Second)
	for !strings.Contains(data.String(), "got-usr1\n") {
		select {
		case f := <-frames:
			data.Write(f.Data)
			last = f
		case err := <-errs:
			t.Fatalf("Stream: %v", err)
		case <-timeout:
			t.Fatalf("Stream got %q, never what the task wrote later", data.String())
		}
		if !signalled && data.String() == "ello\n" {
			if err := d.api.Allocations().Signal(a, nil, "main", "SIGUSR1"); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	if want := "ello\ngot-usr1\n"; data.String() != want {
		t.Errorf("streamed %q, want %q", data.String(), want)
	}
	if last.File != "alloc/logs/main.stdout" || last.Offset != int64(len("hello\ngot-usr1\n")) {
		t.Errorf("last frame file %q offset %d, want alloc/logs/main.stdout at %d", last.File, last.Offset, len("hello\ngot-usr1\n"))
	}

	_, errs = d.api.AllocFS().Stream(a, "main/local/nosuch", nomad.OriginStart, 0, cancel, nil)
	wantStatus(t, "Stream(missing file)", <-errs, 404, "does not exist")
}

// TestAllocsExec: Allocations().Exec runs a command in the task over the
// exec websocket, passing stdin and returning stdout, stderr and the exit
// code.
func TestAllocsExec(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code, err := d.api.Allocations().Exec(ctx, a, "main", false,
		[]string{"/bin/sh", "-c", `read line; echo "in:$line"; cat "$NOMAD_TASK_DIR/greeting.txt"; echo err >&2; exit 3`},
		strings.NewReader("typed\n"), &stdout, &stderr, nil, nil)
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if code != 3 || stdout.String() != "in:typed\ngreetings\n" || stderr.String() != "err\n" {
		t.Errorf("Exec = exit %d, stdout %q, stderr %q; want 3, %q, %q", code, stdout.String(), stderr.String(), "in:typed\ngreetings\n", "err\n")
	}

	// With a TTY, the command runs on a terminal of the size the client
	// sends; its output comes on stdout.
	sizes := make(chan nomad.TerminalSize, 1)
	sizes <- nomad.TerminalSize{Height: 33, Width: 101}
	var ttyOut bytes.Buffer
	code, err = d.api.Allocations().Exec(ctx, a, "main", true,
		[]string{"/bin/sh", "-c", `test -t 0 && test -t 1 && stty size`},
		strings.NewReader(""), &ttyOut, io.Discard, sizes, nil)
	if err != nil {
		t.Fatalf("Exec with a TTY: %v", err)
	}
	if code != 0 || !strings.Contains(ttyOut.String(), "33 101") {
		t.Errorf("Exec with a TTY = exit %d, output %q; want 0 and the size 33 101", code, ttyOut.String())
	}

	_, err = d.api.Allocations().Exec(ctx, a, "nosuch", false, []string{"true"},
		strings.NewReader(""), io.Discard, io.Discard, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("Exec in an unknown task: %v, want an error naming it", err)
	}
}

// TestAllocsGC: Allocations().GC of a running allocation is refused with
// a 409; once stopped, it is collected and its files are gone.
func TestAllocsGC(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]

	err := d.api.Allocations().GC(a, nil)
	wantStatus(t, "GC(running allocation)", err, 409, "")
	if _, err := d.api.Allocations().Stop(a, nil); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 30*time.Second, func() error {
		info, _, err := d.api.Allocations().Info(a.ID, nil)
		if err != nil {
			return err
		}
		if !info.ClientTerminalStatus() {
			return fmt.Errorf("stopped allocation is still %s", info.ClientStatus)
		}
		return nil
	})
	if err := d.api.Allocations().GC(a, nil); err != nil {
		t.Fatalf("GC(stopped allocation): %v", err)
	}
	_, _, err = d.api.AllocFS().List(a, "/", nil)
	wantStatus(t, "List after GC", err, 404, "")
}
