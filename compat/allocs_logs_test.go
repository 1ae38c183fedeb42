package compat_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// readLogs collects what Logs sends until its frame channel closes (a
// stream that does not follow ends at the end of the file) and returns
// the data and the frames.
func readLogs(t *testing.T, d *devAgent, a *nomad.Allocation, task, typ, origin string, offset int64) (string, []*nomad.StreamFrame) {
	t.Helper()
	cancel := make(chan struct{})
	defer close(cancel)
	frames, errs := d.api.AllocFS().Logs(a, false, task, typ, origin, offset, cancel, nil)
	var data strings.Builder
	var got []*nomad.StreamFrame
	timeout := time.After(20 * time.Second)
	for {
		select {
		case f, ok := <-frames:
			if !ok {
				return data.String(), got
			}
			got = append(got, f)
			data.Write(f.Data)
		case err := <-errs:
			t.Fatalf("Logs(%s, %s, origin %s, offset %d): %v", task, typ, origin, offset, err)
		case <-timeout:
			t.Fatalf("Logs(%s, %s) without follow did not end", task, typ)
		}
	}
}

// TestAllocsLogs: Nomad's AllocFS().Logs decodes the task's stdout and
// stderr as frames with their file and offset, honours origin and offset,
// ends at the end of the log without follow, and Nomad's FrameReader reads
// the frames as a stream.
func TestAllocsLogs(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]

	out, frames := readLogs(t, d, a, "main", nomad.FSLogNameStdout, nomad.OriginStart, 0)
	if out != "hello\n" {
		t.Fatalf("stdout = %q, want %q", out, "hello\n")
	}
	last := frames[len(frames)-1]
	if last.File != "alloc/logs/main.stdout" || last.Offset != 6 || last.FileEvent != "" {
		t.Errorf("last frame file %q offset %d event %q, want alloc/logs/main.stdout at offset 6", last.File, last.Offset, last.FileEvent)
	}
	if errOut, _ := readLogs(t, d, a, "main", nomad.FSLogNameStderr, nomad.OriginStart, 0); errOut != "oops\n" {
		t.Errorf("stderr = %q, want %q", errOut, "oops\n")
	}
	if got, _ := readLogs(t, d, a, "main", nomad.FSLogNameStdout, nomad.OriginStart, 2); got != "llo\n" {
		t.Errorf("stdout from offset 2 = %q, want %q", got, "llo\n")
	}
	got, frames := readLogs(t, d, a, "main", nomad.FSLogNameStdout, nomad.OriginEnd, 3)
	if got != "lo\n" {
		t.Errorf("last 3 bytes of stdout = %q, want %q", got, "lo\n")
	}
	if off := frames[len(frames)-1].Offset; off != 6 {
		t.Errorf("offset after the last 3 bytes = %d, want 6 (the file's size)", off)
	}
	// With one task in the group, the task may be left out.
	if got, _ := readLogs(t, d, a, "", nomad.FSLogNameStdout, nomad.OriginStart, 0); got != "hello\n" {
		t.Errorf("stdout with no task named = %q, want %q", got, "hello\n")
	}

	// Nomad's FrameReader turns the frames into a reader.
	cancel := make(chan struct{})
	frameCh, errs := d.api.AllocFS().Logs(a, false, "main", nomad.FSLogNameStdout, nomad.OriginStart, 0, cancel, nil)
	fr := nomad.NewFrameReader(frameCh, errs, cancel)
	b, err := io.ReadAll(fr)
	if err != nil || string(b) != "hello\n" || fr.Offset() != 6 {
		t.Errorf("FrameReader read %q (offset %d), %v; want %q at offset 6", b, fr.Offset(), err, "hello\n")
	}
	fr.Close()
}

// TestAllocsLogsFollow: with follow, Logs keeps the stream open and
// delivers what the task writes later (here, its answer to a signal);
// closing the cancel channel ends it.
func TestAllocsLogsFollow(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]

	cancel := make(chan struct{})
	frames, errs := d.api.AllocFS().Logs(a, true, "main", nomad.FSLogNameStdout, nomad.OriginStart, 0, cancel, nil)
	var data strings.Builder
	var lastOffset int64
	signalled := false
	timeout := time.After(30 * time.Second)
	for !strings.Contains(data.String(), "got-usr1\n") {
		select {
		case f, ok := <-frames:
			if !ok {
				t.Fatalf("a followed log ended, after %q", data.String())
			}
			data.Write(f.Data)
			lastOffset = f.Offset
		case err := <-errs:
			t.Fatalf("Logs(follow): %v", err)
		case <-timeout:
			t.Fatalf("Logs(follow) got %q, never the task's answer to the signal", data.String())
		}
		if !signalled && data.String() == "hello\n" {
			// The stream is open and has caught up: make the task write.
			if err := d.api.Allocations().Signal(a, nil, "main", "SIGUSR1"); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	if want := "hello\ngot-usr1\n"; data.String() != want || lastOffset != int64(len(want)) {
		t.Errorf("followed stdout %q at offset %d, want %q at %d", data.String(), lastOffset, want, len(want))
	}
	close(cancel)
}

// TestAllocsLogsPlain: plain=true (the nomad CLI's raw form, not offered
// by the Go client's Logs) answers the log's bytes unframed.
func TestAllocsLogsPlain(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]
	resp, err := http.Get(d.addr + "/v1/client/fs/logs/" + a.ID + "?task=main&type=stderr&plain=true&follow=false")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(b) != "oops\n" {
		t.Fatalf("plain stderr: %d %q, want 200 %q", resp.StatusCode, b, "oops\n")
	}
}

// TestAllocsLogsErrors: a bad log request is refused with a 400 that the
// client reports on its error channel.
func TestAllocsLogsErrors(t *testing.T) {
	d := startDevAgent(t)
	a := runAllocJob(t, d, "web", 1)[0]
	for _, tc := range []struct {
		name, task, typ, origin, want string
	}{
		{"unknown type", "main", "stdin", nomad.OriginStart, "is unknown: expected stdout or stderr"},
		{"unknown origin", "main", "stdout", "middle", "is unknown: expected start or end"},
		{"unknown task", "nosuch", "stdout", nomad.OriginStart, "nosuch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cancel := make(chan struct{})
			defer close(cancel)
			frames, errs := d.api.AllocFS().Logs(a, false, tc.task, tc.typ, tc.origin, 0, cancel, nil)
			if frames != nil {
				t.Fatal("Logs returned a frame channel, want only an error")
			}
			err := <-errs
			if s := statusOf(err); s != 400 && !(tc.name == "unknown task" && s == 404) {
				t.Fatalf("error %v has status %d, want 400", err, s)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}
