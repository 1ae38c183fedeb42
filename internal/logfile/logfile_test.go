package logfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := OpenAppend(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOpenAppendAppendsAndCreates0644(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "web.stdout")
	a, err := OpenAppend(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenAppend(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.WriteString("one\n")
	b.WriteString("two\n")
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	a.WriteString("three\n") // lands at 0 after the truncate, no hole
	if got := readFile(t, p); got != "three\n" {
		t.Fatalf("content after truncate = %q, want %q", got, "three\n")
	}
	fi, _ := os.Stat(p)
	if perm := fi.Mode().Perm(); perm&^0o644 != 0 {
		t.Fatalf("mode = %v, want at most 0644", perm)
	}
}

func TestFilesOrderAndFiltering(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"web.stdout", "web.stdout.0", "web.stdout.2", "web.stdout.10",
		"web.stdout.x", "web.stdout.1.tmp", ".web.stdout.lock", ".web.stdout.rotating",
		"web.stderr.1", "web2.stdout.3",
	} {
		writeFile(t, filepath.Join(dir, name), "x")
	}
	got, err := Files(dir, "web", "stdout")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"web.stdout.0", "web.stdout.2", "web.stdout.10", "web.stdout"}
	for i := range want {
		want[i] = filepath.Join(dir, want[i])
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Files = %v, want %v", got, want)
	}

	// No live file yet and no directory: empty, no error.
	got, err = Files(filepath.Join(dir, "missing"), "web", "stdout")
	if err != nil || len(got) != 0 {
		t.Fatalf("Files(missing dir) = %v, %v", got, err)
	}
}

func TestRotatorCheck(t *testing.T) {
	tests := []struct {
		name     string
		maxFiles int
		writes   []string // each followed by a Check
		want     map[string]string
	}{
		{
			name: "under limit keeps live", maxFiles: 3,
			writes: []string{"0123456789"},
			want:   map[string]string{"web.stdout": "0123456789"},
		},
		{
			name: "over limit copies and truncates", maxFiles: 3,
			writes: []string{"0123456789A"},
			want:   map[string]string{"web.stdout": "", "web.stdout.0": "0123456789A"},
		},
		{
			name: "keeps maxFiles in all", maxFiles: 3,
			writes: []string{"aaaaaaaaaaa", "bbbbbbbbbbb", "ccccccccccc", "dd"},
			want: map[string]string{
				"web.stdout": "dd", "web.stdout.1": "bbbbbbbbbbb", "web.stdout.2": "ccccccccccc",
			},
		},
		{
			name: "maxFiles 1 only truncates", maxFiles: 1,
			writes: []string{"aaaaaaaaaaa", "b"},
			want:   map[string]string{"web.stdout": "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			live := filepath.Join(dir, "web.stdout")
			r := NewRotator(live, tt.maxFiles, 10, nil)
			if err := r.Check(); err != nil { // no live file yet
				t.Fatalf("Check without live file: %v", err)
			}
			for _, w := range tt.writes {
				appendFile(t, live, w)
				if err := r.Check(); err != nil {
					t.Fatal(err)
				}
			}
			files, _ := Files(dir, "web", "stdout")
			got := map[string]string{}
			for _, f := range files {
				got[filepath.Base(f)] = readFile(t, f)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("files = %v, want %v", got, tt.want)
			}
		})
	}
}

// threeFiles lays out "aaa" (.0), "bbb" (.1) and "ccc" (live).
func threeFiles(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "web.stdout.0"), "aaa")
	writeFile(t, filepath.Join(dir, "web.stdout.1"), "bbb")
	writeFile(t, filepath.Join(dir, "web.stdout"), "ccc")
	return dir
}

func TestReaderOriginsAndOffsets(t *testing.T) {
	dir := threeFiles(t)
	tests := []struct {
		origin string
		offset int64
		want   string
	}{
		{"start", 0, "aaabbbccc"},
		{"", 2, "abbbccc"},
		{"start", 3, "bbbccc"},
		{"start", 5, "bccc"},
		{"start", 8, "c"},
		{"start", 9, ""},
		{"start", 100, ""},
		{"end", 0, ""},
		{"end", 1, "c"},
		{"end", 4, "bccc"},
		{"end", 9, "aaabbbccc"},
		{"end", 100, "aaabbbccc"},
	}
	for _, tt := range tests {
		r, err := NewReader(dir, "web", "stdout", tt.origin, tt.offset)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(got) != tt.want {
			t.Errorf("origin %q offset %d: got %q, %v; want %q", tt.origin, tt.offset, got, err, tt.want)
		}
	}
}

func TestReaderRejectsBadArguments(t *testing.T) {
	dir := threeFiles(t)
	for _, tc := range []struct {
		origin string
		offset int64
	}{{"middle", 0}, {"start", -1}} {
		_, err := NewReader(dir, "web", "stdout", tc.origin, tc.offset)
		if !errors.Is(err, drover.ErrInvalid) {
			t.Errorf("origin %q offset %d: err = %v, want ErrInvalid", tc.origin, tc.offset, err)
		}
	}
}

func TestReaderPosition(t *testing.T) {
	dir := threeFiles(t)
	r, err := NewReader(dir, "web", "stdout", "start", 4)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if p, off := r.Position(); filepath.Base(p) != "web.stdout.1" || off != 1 {
		t.Fatalf("Position = %s %d, want web.stdout.1 1", p, off)
	}
}

// readN reads exactly n bytes from a following reader, failing after a
// deadline.
func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	buf := make([]byte, n)
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(r, buf)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("read %d bytes: %v (got %q)", n, err, buf)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out reading %d bytes", n)
	}
	return string(buf)
}

func TestFollowReaderThroughRotations(t *testing.T) {
	tests := []struct {
		name string
		// after the reader consumed "hel", act changes the files; then the
		// reader must return want (and nothing else before it).
		act  func(t *testing.T, live string, rot *Rotator)
		want string
	}{
		{
			name: "live grows",
			act: func(t *testing.T, live string, _ *Rotator) {
				appendFile(t, live, "world\n")
			},
			want: "lo world\n",
		},
		{
			name: "rotated then shorter live",
			act: func(t *testing.T, live string, rot *Rotator) {
				appendFile(t, live, "world\n")
				mustCheck(t, rot)
				appendFile(t, live, "x\n")
			},
			want: "lo world\nx\n",
		},
		{
			name: "rotated then live regrew past the offset",
			act: func(t *testing.T, live string, rot *Rotator) {
				appendFile(t, live, "world\n")
				mustCheck(t, rot)
				appendFile(t, live, "a much longer line\n")
			},
			want: "lo world\na much longer line\n",
		},
		{
			name: "several rotations while idle",
			act: func(t *testing.T, live string, rot *Rotator) {
				appendFile(t, live, "world\n")
				mustCheck(t, rot)
				appendFile(t, live, "second file\n")
				mustCheck(t, rot)
				appendFile(t, live, "third\n")
			},
			want: "lo world\nsecond file\nthird\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			live := filepath.Join(dir, "web.stdout")
			rot := NewRotator(live, 10, 4, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The live file does not exist yet when the reader starts.
			r, err := NewFollowReader(ctx, dir, "web", "stdout", "start", 0, time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			appendFile(t, live, "hello ")
			if got := readN(t, r, 3); got != "hel" {
				t.Fatalf("first read %q", got)
			}
			tt.act(t, live, rot)
			if got := readN(t, r, len(tt.want)); got != tt.want {
				t.Fatalf("read %q, want %q", got, tt.want)
			}
			cancel()
			if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Fatalf("Read after cancel = %d, %v; want 0, EOF", n, err)
			}
		})
	}
}

func TestFollowReaderSkipsDeletedCopies(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "web.stdout")
	rot := NewRotator(live, 2, 4, nil) // one rotated copy kept
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	appendFile(t, live, "first\n")
	r, err := NewFollowReader(ctx, dir, "web", "stdout", "start", 0, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := readN(t, r, 2); got != "fi" {
		t.Fatalf("first read %q", got)
	}
	mustCheck(t, rot) // .0 = first
	appendFile(t, live, "second\n")
	mustCheck(t, rot) // .1 = second, .0 deleted
	appendFile(t, live, "third\n")
	if got := readN(t, r, len("second\nthird\n")); got != "second\nthird\n" {
		t.Fatalf("read %q", got)
	}
}

func mustCheck(t *testing.T, r *Rotator) {
	t.Helper()
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestReaderNonFollowStopsAtEnd(t *testing.T) {
	dir := threeFiles(t)
	r, err := NewReader(dir, "web", "stdout", "end", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "cc" {
		t.Fatalf("got %q, %v", got, err)
	}
	if !strings.HasSuffix(r.path, "web.stdout") {
		t.Fatalf("ended in %s, want the live file", r.path)
	}
}

func TestFollowReaderTruncateWithoutCopies(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "web.stdout")
	rot := NewRotator(live, 1, 4, nil) // nothing kept: truncate only
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := NewFollowReader(ctx, dir, "web", "stdout", "end", 0, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	appendFile(t, live, "hello ")
	if got := readN(t, r, 6); got != "hello " {
		t.Fatalf("first read %q", got)
	}
	appendFile(t, live, "world\n")
	mustCheck(t, rot) // "world\n", unread, is gone with the truncate
	appendFile(t, live, "x\n")
	if got := readN(t, r, 2); got != "x\n" {
		t.Fatalf("read %q after truncation, want %q", got, "x\n")
	}
}

func TestFollowReaderLogDirAppearsLater(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "alloc", "logs")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := NewFollowReader(ctx, dir, "web", "stderr", "start", 0, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(dir, "web.stderr"), "late\n")
	if got := readN(t, r, 5); got != "late\n" {
		t.Fatalf("read %q", got)
	}
}
