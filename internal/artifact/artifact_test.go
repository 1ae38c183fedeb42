package artifact

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
)

type tarEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func tarGz(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Linkname: e.link}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf builds a zip; each file is name and its size in zero bytes, so a
// large size compresses to almost nothing (a zip bomb).
func zipOf(t *testing.T, files map[string]int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, size := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// serve serves files by path and counts the requests.
func serve(t *testing.T, files map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

type mapEnv map[string]string

func (m mapEnv) Replace(s string) string {
	for k, v := range m {
		s = strings.ReplaceAll(s, "${"+k+"}", v)
	}
	return s
}

func taskDirs(t *testing.T) (allocDir, taskDir string) {
	allocDir = t.TempDir()
	taskDir = filepath.Join(allocDir, "web")
	if err := os.MkdirAll(filepath.Join(taskDir, "local"), 0o755); err != nil {
		t.Fatal(err)
	}
	return allocDir, taskDir
}

func fetch(t *testing.T, taskDir, allocDir string, a *drover.TaskArtifact, l Limits) error {
	t.Helper()
	return Fetch(context.Background(), Request{Artifact: a, TaskDir: taskDir, AllocDir: allocDir, Env: mapEnv{"NOMAD_META_v": "1.2", "NOMAD_ALLOC_DIR": filepath.Join(allocDir, "alloc")}, Limits: l})
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stagingLeft reports leftover staging directories in taskDir.
func stagingLeft(t *testing.T, taskDir string) []string {
	m, _ := filepath.Glob(filepath.Join(taskDir, ".artifact-*"))
	return m
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFetchHTTPFileWithChecksumAndHeaders(t *testing.T) {
	body := []byte("hello artifact\n")
	var gotHeader string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Get("X-Token")
		w.Write(body)
	}))
	defer srv.Close()
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  srv.URL + "/v${NOMAD_META_v}/hello.txt",
		GetterOptions: map[string]string{"checksum": "sha256:" + sha(body)},
		GetterHeaders: map[string]string{"X-Token": "t-${NOMAD_META_v}"},
		RelativeDest:  "local/",
	}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "hello.txt")); got != string(body) {
		t.Fatalf("content %q", got)
	}
	if gotHeader != "t-1.2" {
		t.Fatalf("header X-Token = %q, want interpolated t-1.2", gotHeader)
	}
	if left := stagingLeft(t, taskDir); len(left) != 0 {
		t.Fatalf("staging left behind: %v", left)
	}
}

func TestFetchChecksumMismatchWritesNothing(t *testing.T) {
	srv := serve(t, map[string][]byte{"/app.bin": []byte("tampered")})
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  srv.URL + "/app.bin",
		GetterOptions: map[string]string{"checksum": "sha256:" + sha([]byte("original"))},
		RelativeDest:  "local/",
	}
	err := fetch(t, taskDir, allocDir, a, DefaultLimits())
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "expected "+sha([]byte("original"))+", got "+sha([]byte("tampered"))) {
		t.Fatalf("err = %v, want a checksum mismatch naming both sums", err)
	}
	if _, err := os.Stat(filepath.Join(taskDir, "local", "app.bin")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file was placed despite the mismatch: %v", err)
	}
}

func TestFetchTarGzUnpacked(t *testing.T) {
	arch := tarGz(t,
		tarEntry{name: "app/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "app/run.sh", body: "#!/bin/sh\necho hi\n", mode: 0o755},
		tarEntry{name: "app/current", typ: tar.TypeSymlink, link: "run.sh"},
	)
	srv := serve(t, map[string][]byte{"/app.tar.gz": arch})
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{GetterSource: srv.URL + "/app.tar.gz", RelativeDest: "local/bundle"}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(taskDir, "local", "bundle", "app", "run.sh")
	if got := readFile(t, p); !strings.Contains(got, "echo hi") {
		t.Fatalf("content %q", got)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm()&0o100 == 0 {
		t.Fatalf("mode %v lost the executable bit", fi.Mode())
	}
}

func TestArchiveAttacksRefused(t *testing.T) {
	tests := []struct {
		name string
		file string
		body func(t *testing.T) []byte
		want string
	}{
		{"tar dot-dot", "a.tar.gz", func(t *testing.T) []byte {
			return tarGz(t, tarEntry{name: "ok.txt", body: "x"}, tarEntry{name: "../../../escape.txt", body: "pwned"})
		}, "leads out"},
		{"tar absolute", "a.tar.gz", func(t *testing.T) []byte {
			return tarGz(t, tarEntry{name: "/tmp/escape-abs.txt", body: "pwned"})
		}, "absolute path"},
		{"tar symlink out", "a.tar.gz", func(t *testing.T) []byte {
			return tarGz(t, tarEntry{name: "etc", typ: tar.TypeSymlink, link: "../../../../../etc"})
		}, "out of the destination"},
		{"tar symlink absolute", "a.tar.gz", func(t *testing.T) []byte {
			return tarGz(t, tarEntry{name: "passwd", typ: tar.TypeSymlink, link: "/etc/passwd"})
		}, "absolute path"},
		{"tar hard link out", "a.tar.gz", func(t *testing.T) []byte {
			return tarGz(t, tarEntry{name: "a/b", typ: tar.TypeLink, link: "../x"})
		}, "out of the destination"},
		{"zip dot-dot", "a.zip", func(t *testing.T) []byte { return zipOf(t, map[string]int{"../escape.txt": 3}) }, "leads out"},
		{"zip absolute", "a.zip", func(t *testing.T) []byte { return zipOf(t, map[string]int{"/escape.txt": 3}) }, "absolute path"},
		{"zip bomb size", "a.zip", func(t *testing.T) []byte { return zipOf(t, map[string]int{"zeros": 8 << 20}) }, "decompression_size_limit"},
		{"zip bomb count", "a.zip", func(t *testing.T) []byte {
			files := map[string]int{}
			for i := range 20 {
				files[filepath.Join("d", strings.Repeat("f", i+1))] = 1
			}
			return zipOf(t, files)
		}, "decompression_file_count_limit"},
		{"tar.gz bomb size", "a.tar.gz", func(t *testing.T) []byte {
			return tarGz(t, tarEntry{name: "zeros", body: string(make([]byte, 8<<20))})
		}, "decompression_size_limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body(t)
			srv := serve(t, map[string][]byte{"/" + tc.file: body})
			allocDir, taskDir := taskDirs(t)
			l := DefaultLimits()
			l.DecompressionSizeLimit, l.DecompressionFileCountLimit = 1<<20, 10
			a := &drover.TaskArtifact{GetterSource: srv.URL + "/" + tc.file, RelativeDest: "local/"}
			err := fetch(t, taskDir, allocDir, a, l)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v does not wrap ErrRefused", err)
			}
			entries, _ := os.ReadDir(filepath.Join(taskDir, "local"))
			if len(entries) != 0 {
				t.Fatalf("local/ holds %d entries after a refused artifact", len(entries))
			}
			for _, p := range []string{filepath.Join(allocDir, "escape.txt"), filepath.Join(taskDir, "escape.txt"), "/tmp/escape-abs.txt"} {
				if _, err := os.Lstat(p); err == nil {
					t.Fatalf("%s was written", p)
				}
			}
		})
	}
}

// A single compressed file (not an archive) has no directory to read sizes
// from: go-getter's size limit stops it while it unpacks.
func TestGzipBombStopped(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write(make([]byte, 8<<20))
	gz.Close()
	srv := serve(t, map[string][]byte{"/zeros.gz": buf.Bytes()})
	allocDir, taskDir := taskDirs(t)
	l := DefaultLimits()
	l.DecompressionSizeLimit = 1 << 20
	a := &drover.TaskArtifact{GetterSource: srv.URL + "/zeros.gz", GetterMode: drover.GetterModeFile, RelativeDest: "local/zeros"}
	err := fetch(t, taskDir, allocDir, a, l)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("err = %v, want the 8 MiB gzip bomb stopped by the 1 MiB limit", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
		t.Fatalf("local/ holds %d entries", len(entries))
	}
	l.DecompressionSizeLimit = 16 << 20
	if err := fetch(t, taskDir, allocDir, a, l); err != nil {
		t.Fatalf("within the limit: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(taskDir, "local", "zeros")); err != nil || fi.Size() != 8<<20 {
		t.Fatalf("unpacked file: %v, %v", fi, err)
	}
}

func TestSetuidStripped(t *testing.T) {
	t.Run("tar", func(t *testing.T) {
		arch := tarGz(t, tarEntry{name: "suid", body: "x", mode: 0o4755}, tarEntry{name: "sgid", body: "y", mode: 0o2755})
		srv := serve(t, map[string][]byte{"/a.tar.gz": arch})
		allocDir, taskDir := taskDirs(t)
		if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: srv.URL + "/a.tar.gz", RelativeDest: "local/"}, DefaultLimits()); err != nil {
			t.Fatal(err)
		}
		assertNoSpecialBits(t, filepath.Join(taskDir, "local", "suid"), filepath.Join(taskDir, "local", "sgid"))
	})
	t.Run("local file", func(t *testing.T) {
		allocDir, taskDir := taskDirs(t)
		src := filepath.Join(allocDir, "suid-bin")
		if err := os.WriteFile(src, []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(src, 0o755|fs.ModeSetuid|fs.ModeSetgid); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(src); fi.Mode()&fs.ModeSetuid == 0 {
			t.Fatalf("fixture has no setuid bit: %v", fi.Mode())
		}
		a := &drover.TaskArtifact{GetterSource: src, GetterMode: drover.GetterModeFile, RelativeDest: "local/bin"}
		if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
			t.Fatal(err)
		}
		assertNoSpecialBits(t, filepath.Join(taskDir, "local", "bin"))
	})
}

func assertNoSpecialBits(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			t.Fatalf("%s keeps mode %v", p, fi.Mode())
		}
	}
}

func TestDestinationRefused(t *testing.T) {
	srv := serve(t, map[string][]byte{"/f.txt": []byte("x")})
	for _, dest := range []string{"../../escape", "/etc", "local/../../x", "../alloc/data", "${NOMAD_ALLOC_DIR}/x"} {
		t.Run(dest, func(t *testing.T) {
			allocDir, taskDir := taskDirs(t)
			err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: srv.URL + "/f.txt", RelativeDest: dest}, DefaultLimits())
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "destination") {
				t.Fatalf("err = %v, want a refused destination", err)
			}
		})
	}
}

// A symlink already in the task directory is never followed while placing.
// An interpolated absolute destination inside the task directory is
// accepted.
func TestDestinationAbsoluteInsideTaskDir(t *testing.T) {
	srv := serve(t, map[string][]byte{"/f.txt": []byte("x")})
	allocDir, taskDir := taskDirs(t)
	env := mapEnv{"NOMAD_TASK_DIR": filepath.Join(taskDir, "local")}
	a := &drover.TaskArtifact{GetterSource: srv.URL + "/f.txt", RelativeDest: "${NOMAD_TASK_DIR}/conf"}
	if err := Fetch(context.Background(), Request{Artifact: a, TaskDir: taskDir, AllocDir: allocDir, Env: env, Limits: DefaultLimits()}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "conf", "f.txt")); got != "x" {
		t.Fatalf("content %q", got)
	}
}

func TestDestinationThroughSymlinkRefused(t *testing.T) {
	srv := serve(t, map[string][]byte{"/f.txt": []byte("x")})
	allocDir, taskDir := taskDirs(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(taskDir, "local", "out")); err != nil {
		t.Fatal(err)
	}
	err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: srv.URL + "/f.txt", RelativeDest: "local/out/"}, DefaultLimits())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("err = %v, want a refused symlink", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote through the symlink: %v", entries)
	}
}

func TestLocalSourceOutsideRootsRefused(t *testing.T) {
	allocDir, taskDir := taskDirs(t)
	for _, src := range []string{"/etc/hostname", "file:///etc/hostname", "git::file:///etc"} {
		err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: src, RelativeDest: "local/"}, DefaultLimits())
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "outside the allocation directory") {
			t.Fatalf("%s: err = %v, want a refused local source", src, err)
		}
	}
	inAlloc := filepath.Join(allocDir, "f")
	if err := os.WriteFile(inAlloc, []byte("f"), 0o644); err != nil {
		t.Fatal(err)
	}
	checksumFromHost := &drover.TaskArtifact{GetterSource: inAlloc, RelativeDest: "local/",
		GetterOptions: map[string]string{"checksum": "file:/etc/hostname"}}
	if err := fetch(t, taskDir, allocDir, checksumFromHost, DefaultLimits()); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "checksum file") {
		t.Fatalf("checksum file on the host: err = %v, want it refused", err)
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "conf"), []byte("c"), 0o644); err != nil {
		t.Fatal(err)
	}
	l := DefaultLimits()
	l.FileRoots = []string{root}
	if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: filepath.Join(root, "conf"), RelativeDest: "local/"}, l); err != nil {
		t.Fatalf("source under a configured root: %v", err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "conf")); got != "c" {
		t.Fatalf("content %q", got)
	}
}

// A local directory is copied and merged into a destination that already
// holds files: they stay, and fetched files replace their namesakes.
func TestFetchLocalDirMergesIntoDestination(t *testing.T) {
	allocDir, taskDir := taskDirs(t)
	src := filepath.Join(allocDir, "srcdir")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"a.txt": "new a", "sub/b.txt": "b"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dest := filepath.Join(taskDir, "local", "d")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"a.txt": "old a", "keep.txt": "kept"} {
		if err := os.WriteFile(filepath.Join(dest, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: src, GetterMode: drover.GetterModeDir, RelativeDest: "local/d"}, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a.txt": "new a", "sub/b.txt": "b", "keep.txt": "kept"} {
		if got := readFile(t, filepath.Join(dest, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// A symlink deep in the destination stops the placement before any file
// moves: the destination keeps what it held.
func TestPlacementRefusedLeavesDestinationAsItWas(t *testing.T) {
	arch := tarGz(t, tarEntry{name: "a.txt", body: "new"}, tarEntry{name: "sub/b.txt", body: "b"})
	srv := serve(t, map[string][]byte{"/a.tar.gz": arch})
	allocDir, taskDir := taskDirs(t)
	dest := filepath.Join(taskDir, "local")
	if err := os.WriteFile(filepath.Join(dest, "a.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dest, "sub")); err != nil {
		t.Fatal(err)
	}
	err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: srv.URL + "/a.tar.gz", RelativeDest: "local/"}, DefaultLimits())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "local/sub in the destination is a symlink") {
		t.Fatalf("err = %v, want the symlink refused", err)
	}
	if got := readFile(t, filepath.Join(dest, "a.txt")); got != "old" {
		t.Fatalf("a.txt = %q: placement began before the refusal", got)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote through the symlink: %v", entries)
	}
}

// A local directory holding a symlink is not copied: go-getter refuses
// symlinks when copying, and nothing reaches the destination.
func TestLocalDirWithSymlinkRefused(t *testing.T) {
	allocDir, taskDir := taskDirs(t)
	src := filepath.Join(allocDir, "srcdir")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(src, "passwd")); err != nil {
		t.Fatal(err)
	}
	err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: src, GetterMode: drover.GetterModeDir, RelativeDest: "local/d"}, DefaultLimits())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "holds a symlink (passwd)") {
		t.Fatalf("err = %v, want the symlink refused", err)
	}
	if _, err := os.Lstat(filepath.Join(taskDir, "local", "d", "passwd")); err == nil {
		t.Fatal("the symlink was placed")
	}
}

func gitRepo(t *testing.T, dir string, files map[string]string, links map[string]string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("these tests need git (CI installs it): ", err)
	}
	run := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run("init", "-q", "-b", "main")
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	run("add", "-A")
	run("commit", "-q", "-m", "fixture")
}

func TestFetchGit(t *testing.T) {
	allocDir, taskDir := taskDirs(t)
	repo := filepath.Join(allocDir, "repo")
	gitRepo(t, repo, map[string]string{"README": "readme"}, map[string]string{"link": "README"})
	a := &drover.TaskArtifact{GetterSource: "git::file://" + repo, RelativeDest: "local/repo"}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "repo", "link")); got != "readme" {
		t.Fatalf("content through an inside link = %q", got)
	}
}

func TestFetchGitSymlinkOutRefused(t *testing.T) {
	allocDir, taskDir := taskDirs(t)
	repo := filepath.Join(allocDir, "repo")
	gitRepo(t, repo, map[string]string{"README": "r"}, map[string]string{"shadow": "../../../../../../etc/shadow"})
	a := &drover.TaskArtifact{GetterSource: "git::file://" + repo, RelativeDest: "local/repo"}
	err := fetch(t, taskDir, allocDir, a, DefaultLimits())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "leads out of the task directory") {
		t.Fatalf("err = %v, want the escaping symlink refused", err)
	}
	if _, err := os.Lstat(filepath.Join(taskDir, "local", "repo")); err == nil {
		t.Fatal("the repository was placed")
	}
}

// A git repository is not an archive: the unpacked tree's own count stops
// one with more files than the limit.
func TestFetchGitOverFileLimitRefused(t *testing.T) {
	allocDir, taskDir := taskDirs(t)
	repo := filepath.Join(allocDir, "repo")
	gitRepo(t, repo, map[string]string{"a": "1", "b": "2", "c": "3"}, nil)
	l := DefaultLimits()
	l.DecompressionFileCountLimit = 2
	err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: "git::file://" + repo, RelativeDest: "local/repo"}, l)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "decompression_file_count_limit") {
		t.Fatalf("err = %v, want the file count limit", err)
	}
}

func TestCheckTreeRefusesSpecialFiles(t *testing.T) {
	_, taskDir := taskDirs(t)
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("mkfifo", filepath.Join(out, "fifo")).Run(); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	err := checkTree(out, filepath.Join(taskDir, "local"), taskDir, DefaultLimits())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "named pipe") {
		t.Fatalf("err = %v, want the fifo refused", err)
	}
}

func TestFetchFailsOnMissingAndBadSource(t *testing.T) {
	srv := serve(t, map[string][]byte{})
	allocDir, taskDir := taskDirs(t)
	for _, src := range []string{srv.URL + "/missing.txt", "", "ftp://example.invalid/x"} {
		if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: src, RelativeDest: "local/"}, DefaultLimits()); err == nil {
			t.Fatalf("%q: no error", src)
		}
	}
}

func TestHTTPMaxBytesStopsDownload(t *testing.T) {
	big := make([]byte, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked.bin" {
			for i := 0; i < len(big); i += 1024 { // no Content-Length: chunked
				w.Write(big[i : i+1024])
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		w.Write(big)
	}))
	defer srv.Close()
	for _, name := range []string{"chunked.bin", "sized.bin"} {
		t.Run(name, func(t *testing.T) {
			allocDir, taskDir := taskDirs(t)
			l := DefaultLimits()
			l.HTTPMaxBytes = 1024
			err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: srv.URL + "/" + name, RelativeDest: "local/"}, l)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "http_max_size") {
				t.Fatalf("err = %v, want http_max_size refused", err)
			}
			if _, err := os.Stat(filepath.Join(taskDir, "local", name)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the oversized file was placed: %v", err)
			}
			l.HTTPMaxBytes = int64(len(big))
			if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: srv.URL + "/" + name, RelativeDest: "local/"}, l); err != nil {
				t.Fatalf("a body of exactly http_max_size: %v", err)
			}
		})
	}
}

func TestRemoveStaging(t *testing.T) {
	_, taskDir := taskDirs(t)
	left := filepath.Join(taskDir, stagingPrefix+"123", "out")
	if err := os.MkdirAll(left, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RemoveStaging(taskDir); err != nil {
		t.Fatal(err)
	}
	if got := stagingLeft(t, taskDir); len(got) != 0 {
		t.Fatalf("left: %v", got)
	}
	if _, err := os.Stat(filepath.Join(taskDir, "local")); err != nil {
		t.Fatalf("removed more than staging: %v", err)
	}
}

func TestRedactHidesPassword(t *testing.T) {
	if got := redact("https://u:secret@example.com/x"); strings.Contains(got, "secret") {
		t.Fatalf("redact = %q", got)
	}
}
