package allocfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// fixture builds an allocation directory with files, secrets and symlinks
// that point inside, outside and in circles.
func fixture(t *testing.T) (string, *Dir) {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"alloc/logs/web.stdout": "hello\n",
		"web/local/file.txt":    "local file\n",
		"web/secrets/token":     "s3cret\n",
	}
	for p, data := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.MkdirAll(filepath.Join(root, "alloc/data"), 0o755))
	links := map[string]string{
		"web/local/passwd":       "/etc/passwd",
		"web/local/etc":          "/etc",
		"web/local/up":           "../../..",
		"alloc/data/inside":      "../../web/local/file.txt",
		"alloc/data/abs-inside":  filepath.Join(root, "web/local/file.txt"),
		"alloc/data/localdir":    "../../web/local",
		"alloc/data/secret-link": "../../web/secrets/token",
		"alloc/data/loop1":       "loop2",
		"alloc/data/loop2":       "loop1",
	}
	for p, target := range links {
		must(t, os.Symlink(target, filepath.Join(root, p)))
	}
	return root, New(root)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesEscapes(t *testing.T) {
	_, d := fixture(t)
	for _, tc := range []struct {
		path string
		kind error
		msg  string
	}{
		{"../", drover.ErrInvalid, "leads outside"},
		{"../../etc/passwd", drover.ErrInvalid, "leads outside"},
		{"alloc/../../etc/passwd", drover.ErrInvalid, "leads outside"},
		{"/../etc/passwd", drover.ErrInvalid, "leads outside"},
		{"/etc/passwd", drover.ErrNotFound, "does not exist"}, // absolute = inside the alloc dir
		{"web/local/passwd", drover.ErrInvalid, "symlink to /etc/passwd"},
		{"web/local/etc/passwd", drover.ErrInvalid, "symlink to /etc"},
		{"web/local/up/etc/passwd", drover.ErrInvalid, "leads outside"},
		{"alloc/data/loop1", drover.ErrInvalid, "too many levels"},
		{"web/secrets/token", drover.ErrPermission, "secrets"},
		{"alloc/data/secret-link", drover.ErrPermission, "secrets"},
		{"web/local", drover.ErrInvalid, "is a directory"},
		{"nope.txt", drover.ErrNotFound, "does not exist"},
		{"a\x00b", drover.ErrInvalid, "NUL"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			f, err := d.Open(tc.path)
			if err == nil {
				f.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Open(%q) = %v; want %v containing %q", tc.path, err, tc.kind, tc.msg)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.path)) {
				t.Errorf("error %q does not name the path", err)
			}
		})
	}
}

func TestOpenFollowsLinksInside(t *testing.T) {
	_, d := fixture(t)
	for _, p := range []string{"web/local/file.txt", "/web/local/file.txt", "alloc/data/inside",
		"alloc/data/abs-inside", "alloc/data/localdir/file.txt", "alloc/../web/./local/file.txt"} {
		f, err := d.Open(p)
		if err != nil {
			t.Fatalf("Open(%q): %v", p, err)
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil || string(b) != "local file\n" {
			t.Errorf("Open(%q) read %q, %v", p, b, err)
		}
	}
}

func TestListShowsLinksAsLinks(t *testing.T) {
	_, d := fixture(t)
	got, err := d.List("web/local")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range got {
		names = append(names, fi.Name+":"+fi.FileMode[:1])
	}
	want := "etc:L file.txt:- passwd:L up:L"
	if strings.Join(names, " ") != want {
		t.Errorf("listing %q, want %q", strings.Join(names, " "), want)
	}
	for _, p := range []string{"/", "", "."} {
		root, err := d.List(p)
		if err != nil || len(root) != 2 || root[0].Name != "alloc" || !root[0].IsDir || root[1].Name != "web" {
			t.Errorf("List(%q) = %v, %v", p, root, err)
		}
	}
	secrets, err := d.List("web/secrets")
	if err != nil || len(secrets) != 1 || secrets[0].Name != "token" || secrets[0].Size != 7 {
		t.Errorf("secrets listing %v, %v", secrets, err)
	}
	if _, err := d.List("web/local/etc"); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("List of a symlinked dir outside: %v", err)
	}
	if _, err := d.List("web/local/file.txt"); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("List of a file: %v", err)
	}
	if l, err := d.List("alloc/data/localdir"); err != nil || len(l) != 4 {
		t.Errorf("List through a link inside: %v, %v", l, err)
	}
}

func TestStat(t *testing.T) {
	_, d := fixture(t)
	fi, err := d.Stat("web/local/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name != "passwd" || fi.FileMode[0] != 'L' || fi.IsDir || fi.Size != int64(len("/etc/passwd")) || fi.ContentType != "" {
		t.Errorf("stat of link out: %+v", fi)
	}
	fi, err = d.Stat("web/local/file.txt")
	if err != nil || fi.Size != 11 || fi.FileMode != "-rw-r--r--" || !strings.HasPrefix(fi.ContentType, "text/plain") || fi.ModTime.IsZero() {
		t.Errorf("stat of file: %+v, %v", fi, err)
	}
	fi, err = d.Stat("web/secrets/token")
	if err != nil || fi.ContentType != "" || fi.Size != 7 {
		t.Errorf("stat of secret (served, not sniffed): %+v, %v", fi, err)
	}
	fi, err = d.Stat("/")
	if err != nil || !fi.IsDir || fi.Name != "/" {
		t.Errorf("stat of root: %+v, %v", fi, err)
	}
	if _, err := d.Stat("web/local/etc/passwd"); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("stat through a link out: %v", err)
	}
	if _, err := d.Stat("../x"); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("stat ../: %v", err)
	}
}

func TestReadAt(t *testing.T) {
	_, d := fixture(t)
	for _, tc := range []struct {
		off, limit int64
		want       string
	}{{0, -1, "local file\n"}, {6, 4, "file"}, {6, 100, "file\n"}, {100, 5, ""}, {0, 0, ""}} {
		rc, err := d.ReadAt("web/local/file.txt", tc.off, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(b) != tc.want {
			t.Errorf("ReadAt(%d, %d) = %q, %v; want %q", tc.off, tc.limit, b, err, tc.want)
		}
	}
	if _, err := d.ReadAt("web/local/file.txt", -1, 1); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("negative offset: %v", err)
	}
	if _, err := d.ReadAt("web/secrets/token", 0, 10); !errors.Is(err, drover.ErrPermission) {
		t.Errorf("secret: %v", err)
	}
}

func TestStreamOriginsAndFollow(t *testing.T) {
	root, d := fixture(t)
	read := func(origin string, off int64) string {
		s, err := d.Stream(context.Background(), "alloc/logs/web.stdout", origin, off, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		b, err := io.ReadAll(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("", 0); got != "hello\n" {
		t.Errorf("start: %q", got)
	}
	if got := read("start", 2); got != "llo\n" {
		t.Errorf("start+2: %q", got)
	}
	if got := read("end", 3); got != "lo\n" {
		t.Errorf("end-3: %q", got)
	}
	if got := read("end", 99); got != "hello\n" {
		t.Errorf("end-99 clamps: %q", got)
	}
	if _, err := d.Stream(context.Background(), "alloc/logs/web.stdout", "middle", 0, false, 0); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("bad origin: %v", err)
	}
	if _, err := d.Stream(context.Background(), "web/local/passwd", "", 0, true, 0); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("stream of a link out: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s, err := d.Stream(ctx, "alloc/logs/web.stdout", "end", 0, true, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log := filepath.Join(root, "alloc/logs/web.stdout")
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString("more\n")
	f.Close()
	must(t, err)
	buf := make([]byte, 64)
	n, err := s.Read(buf)
	if err != nil || string(buf[:n]) != "more\n" {
		t.Fatalf("followed read %q, %v", buf[:n], err)
	}
	must(t, os.WriteFile(log, []byte("new\n"), 0o644)) // truncated and rewritten
	if n, err = s.Read(buf); n != 0 || !errors.Is(err, FileTruncated) {
		t.Fatalf("read at truncation %q, %v; want the event", buf[:n], err)
	}
	n, err = s.Read(buf)
	if err != nil || string(buf[:n]) != "new\n" {
		t.Fatalf("read after truncation %q, %v", buf[:n], err)
	}
	must(t, os.Rename(log, log+".1"))
	if n, err = s.Read(buf); n != 0 || !errors.Is(err, FileDeleted) {
		t.Fatalf("read after the file was moved away %q, %v; want the deletion", buf[:n], err)
	}
	if n, err := s.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("read after deletion: %d, %v", n, err)
	}

	// A follower ends when its context does.
	s2, err := d.Stream(ctx, "web/local/file.txt", "end", 0, true, time.Millisecond)
	must(t, err)
	defer s2.Close()
	cancel()
	if n, err := s2.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("read after cancel: %d, %v", n, err)
	}
}

// TestOpenRefusesSymlinkSwappedIn: the open of a resolved path refuses a
// symlink that appeared on it since it was resolved; the fallback for old
// kernels still never leaves the directory.
func TestOpenRefusesSymlinkSwappedIn(t *testing.T) {
	_, d := fixture(t)
	for _, rel := range []string{"alloc/data/inside", "alloc/data/secret-link", "web/local/etc/passwd"} {
		if f, err := d.open(rel); err == nil {
			f.Close()
			t.Errorf("open(%q) followed a symlink", rel)
		} else if !errors.Is(err, drover.ErrInvalid) || !strings.Contains(err.Error(), "symlink appeared") {
			t.Errorf("open(%q) = %v", rel, err)
		}
	}
	f, err := d.openRoot("alloc/data/inside")
	if err != nil {
		t.Fatalf("openRoot through a link inside: %v", err)
	}
	f.Close()
	for _, rel := range []string{"web/local/passwd", "web/local/etc/passwd", "web/local/up/etc"} {
		if f, err := d.openRoot(rel); err == nil {
			f.Close()
			t.Errorf("openRoot(%q) left the directory", rel)
		} else if !errors.Is(err, drover.ErrInvalid) {
			t.Errorf("openRoot(%q) = %v, want an ErrInvalid", rel, err)
		}
	}
}
