package artifact

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// fakeGCS speaks the part of the Cloud Storage APIs that go-getter's
// GCSGetter uses through cloud.google.com/go/storage: the JSON API's
// objects list (/storage/v1/b/<bucket>/o) and the XML API's object read
// (/<bucket>/<object>), which the library uses for downloads. It serves
// objects keyed "bucket/name" and records every request it gets.
type fakeGCS struct {
	objects  map[string][]byte
	pageSize int // names per list page; 0 means 1000
	status   int // when set, every request fails with this status

	mu       sync.Mutex
	requests []*http.Request
}

// newFakeGCS starts f and points the storage library at it, as an
// emulator: STORAGE_EMULATOR_HOST replaces both API endpoints and turns
// authentication off.
func newFakeGCS(t *testing.T, f *fakeGCS) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv("STORAGE_EMULATOR_HOST", srv.URL)
	return srv
}

func (f *fakeGCS) seen() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests...)
}

type gcsObject struct {
	Kind        string `json:"kind"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Bucket      string `json:"bucket"`
	Generation  string `json:"generation"`
	Size        string `json:"size"`
	ContentType string `json:"contentType"`
	Updated     string `json:"updated"`
	Crc32c      string `json:"crc32c"`
}

type gcsList struct {
	Kind          string      `json:"kind"`
	Items         []gcsObject `json:"items"`
	NextPageToken string      `json:"nextPageToken,omitempty"`
}

func crc32c(b []byte) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func (f *fakeGCS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Clone(r.Context()))
	f.mu.Unlock()
	if f.status != 0 {
		f.fail(w, f.status, "refused by the test")
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/storage/v1/b/"); ok {
		bucket, tail, _ := strings.Cut(rest, "/")
		if r.Method == http.MethodGet && tail == "o" {
			f.list(w, bucket, r.URL.Query())
			return
		}
		f.fail(w, http.StatusNotImplemented, r.Method+" "+r.URL.String()+" is not faked")
		return
	}
	bucket, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || name == "" {
		f.fail(w, http.StatusNotImplemented, r.Method+" "+r.URL.String()+" is not faked")
		return
	}
	body, ok := f.objects[bucket+"/"+name]
	if g := r.URL.Query().Get("generation"); g != "" && g != "1" {
		ok = false // every object here is at generation 1
	}
	if !ok {
		f.fail(w, http.StatusNotFound, "No such object: "+bucket+"/"+name)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Goog-Generation", "1")
	w.Header().Set("X-Goog-Metageneration", "1")
	w.Header().Set("X-Goog-Hash", "crc32c="+crc32c(body))
	if r.Method == http.MethodGet {
		w.Write(body)
	}
}

// list answers objects.list for prefix, pageSize names at a time; the
// page token is the last name of the previous page.
func (f *fakeGCS) list(w http.ResponseWriter, bucket string, q url.Values) {
	prefix, after := q.Get("prefix"), q.Get("pageToken")
	var names []string
	for bn := range f.objects {
		b, n, _ := strings.Cut(bn, "/")
		if b == bucket && strings.HasPrefix(n, prefix) && n > after {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	size := f.pageSize
	if size == 0 {
		size = 1000
	}
	res := gcsList{Kind: "storage#objects", Items: []gcsObject{}}
	if len(names) > size {
		names = names[:size]
		res.NextPageToken = names[size-1]
	}
	for _, n := range names {
		body := f.objects[bucket+"/"+n]
		res.Items = append(res.Items, gcsObject{Kind: "storage#object", ID: bucket + "/" + n + "/1", Name: n, Bucket: bucket,
			Generation: "1", Size: strconv.Itoa(len(body)), ContentType: "application/octet-stream",
			Updated: "2026-11-22T00:00:00.000Z", Crc32c: crc32c(body)})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}

func (f *fakeGCS) fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": status, "message": msg, "errors": []map[string]string{{"message": msg, "reason": http.StatusText(status)}},
	}})
}

// gcsSource is the form go-getter's GCSGetter parses: the bucket and the
// object follow /storage/v1/ on www.googleapis.com. The host is only read
// for that shape; requests go where the storage library sends them.
func gcsSource(bucketObject string) string {
	return "gcs::https://www.googleapis.com/storage/v1/" + bucketObject
}

func TestFetchGCSFileWithChecksum(t *testing.T) {
	body := []byte("config from gcs\n")
	f := &fakeGCS{objects: map[string][]byte{"releases/v1.2/app.conf": body}}
	newFakeGCS(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  gcsSource("releases/v${NOMAD_META_v}/app.conf"),
		GetterOptions: map[string]string{"checksum": "sha256:" + sha(body)},
		RelativeDest:  "local/",
	}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "app.conf")); got != string(body) {
		t.Fatalf("content %q", got)
	}
	var reads int
	for _, r := range f.seen() {
		if r.Method == http.MethodGet && r.URL.Path == "/releases/v1.2/app.conf" {
			reads++
		}
	}
	if reads != 1 {
		t.Fatalf("object read %d times, want once; requests: %v", reads, paths(f.seen()))
	}
	if left := stagingLeft(t, taskDir); len(left) != 0 {
		t.Fatalf("staging left behind: %v", left)
	}
}

func TestFetchGCSChecksumMismatchWritesNothing(t *testing.T) {
	f := &fakeGCS{objects: map[string][]byte{"releases/app.bin": []byte("tampered")}}
	newFakeGCS(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  gcsSource("releases/app.bin"),
		GetterOptions: map[string]string{"checksum": "sha256:" + sha([]byte("original"))},
		RelativeDest:  "local/",
	}
	err := fetch(t, taskDir, allocDir, a, DefaultLimits())
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "expected "+sha([]byte("original"))+", got "+sha([]byte("tampered"))) {
		t.Fatalf("err = %v, want a checksum mismatch naming both sums", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
		t.Fatalf("local/ holds %d entries after a checksum mismatch", len(entries))
	}
}

// A prefix that names several objects is fetched as a directory, page
// after page of the listing, keeping the names' layout below the prefix.
func TestFetchGCSDirectoryPrefix(t *testing.T) {
	objects := map[string][]byte{
		"site/www/index.html":      []byte("<h1>hi</h1>"),
		"site/www/css/main.css":    []byte("body{}"),
		"site/www/img/a/logo.svg":  []byte("<svg/>"),
		"site/www/robots.txt":      []byte("User-agent: *"),
		"site/www/empty-dir/":      nil, // a console-made "folder" placeholder
		"site/other/not-this.html": []byte("no"),
	}
	f := &fakeGCS{objects: objects, pageSize: 2}
	newFakeGCS(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{GetterSource: gcsSource("site/www"), RelativeDest: "local/www"}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"index.html", "css/main.css", "img/a/logo.svg", "robots.txt"} {
		if got := readFile(t, filepath.Join(taskDir, "local", "www", k)); got != string(objects["site/www/"+k]) {
			t.Errorf("%s = %q", k, got)
		}
	}
	if _, err := os.Lstat(filepath.Join(taskDir, "local", "www", "empty-dir")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a folder placeholder became an entry: %v", err)
	}
	var pages int
	for _, r := range f.seen() {
		if r.URL.Query().Get("pageToken") != "" {
			pages++
		}
	}
	if pages == 0 {
		t.Fatal("the listing was never continued past its first page")
	}
}

func TestFetchGCSArchiveUnpacked(t *testing.T) {
	arch := tarGz(t,
		tarEntry{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "bin/server", body: "#!/bin/sh\nexec true\n", mode: 0o755},
		tarEntry{name: "README", body: "readme"},
	)
	f := &fakeGCS{objects: map[string][]byte{"dist/server-1.2.tar.gz": arch}}
	newFakeGCS(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  gcsSource("dist/server-1.2.tar.gz"),
		GetterOptions: map[string]string{"checksum": "sha256:" + sha(arch)},
		RelativeDest:  "local/server",
	}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(taskDir, "local", "server", "bin", "server")
	if got := readFile(t, p); !strings.Contains(got, "exec true") {
		t.Fatalf("content %q", got)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm()&0o100 == 0 {
		t.Fatalf("mode %v lost the executable bit", fi.Mode())
	}
}

func TestFetchGCSErrorsNameTheFault(t *testing.T) {
	tests := []struct {
		name string
		f    *fakeGCS
		want string
	}{
		{"missing object", &fakeGCS{objects: map[string][]byte{}}, "object doesn't exist"},
		{"forbidden", &fakeGCS{status: http.StatusForbidden}, "403"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newFakeGCS(t, tc.f)
			allocDir, taskDir := taskDirs(t)
			a := &drover.TaskArtifact{GetterSource: gcsSource("b/missing.bin"), RelativeDest: "local/"}
			err := fetch(t, taskDir, allocDir, a, DefaultLimits())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "www.googleapis.com/storage/v1/b/missing.bin") {
				t.Errorf("error %q does not name the source", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
				t.Fatalf("local/ holds %d entries after a failed fetch", len(entries))
			}
		})
	}
}

// A prefix ending in "/" is a folder, fetched whole; a sibling name that
// shares its letters stays out. An object whose name begins another
// object's name is fetched alone in mode "file"; in mode "any" go-getter
// takes it for a folder, and the error says what to do.
func TestFetchGCSFolderAndObjectPrefix(t *testing.T) {
	objects := map[string][]byte{
		"b/conf/a.hcl":     []byte("a"),
		"b/conf/a.hcl.bak": []byte("old a"),
		"b/conf/b.hcl":     []byte("b"),
		"b/conf.backup":    []byte("not part of conf/"),
	}
	for _, mode := range []string{"", drover.GetterModeDir} {
		t.Run("folder mode="+mode, func(t *testing.T) {
			newFakeGCS(t, &fakeGCS{objects: objects})
			allocDir, taskDir := taskDirs(t)
			a := &drover.TaskArtifact{GetterSource: gcsSource("b/conf/"), GetterMode: mode, RelativeDest: "local/conf"}
			if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(filepath.Join(taskDir, "local", "conf"))
			if len(entries) != 3 || readFile(t, filepath.Join(taskDir, "local", "conf", "a.hcl.bak")) != "old a" {
				t.Fatalf("local/conf holds %v, want a.hcl, a.hcl.bak and b.hcl", entries)
			}
		})
	}
	t.Run("object in mode file", func(t *testing.T) {
		newFakeGCS(t, &fakeGCS{objects: objects})
		allocDir, taskDir := taskDirs(t)
		a := &drover.TaskArtifact{GetterSource: gcsSource("b/conf/a.hcl"), GetterMode: drover.GetterModeFile, RelativeDest: "local/a.hcl"}
		if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, filepath.Join(taskDir, "local", "a.hcl")); got != "a" {
			t.Fatalf("content %q", got)
		}
	})
	for _, src := range []string{"b/conf", "b/conf/a.hcl"} {
		t.Run("ambiguous "+src, func(t *testing.T) {
			newFakeGCS(t, &fakeGCS{objects: objects})
			allocDir, taskDir := taskDirs(t)
			err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: gcsSource(src), RelativeDest: "local/x"}, DefaultLimits())
			if err == nil || !strings.Contains(err.Error(), `set mode = "file" for one object`) {
				t.Fatalf("err = %v, want one saying what to do", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
				t.Fatalf("local/ holds %v after a failed fetch", entries)
			}
		})
	}
}

// The storage library retries a server error for as long as it may: the
// client's gcs_timeout is what ends the fetch.
func TestFetchGCSServerErrorEndsAtTimeout(t *testing.T) {
	f := &fakeGCS{status: http.StatusServiceUnavailable}
	newFakeGCS(t, f)
	allocDir, taskDir := taskDirs(t)
	l := DefaultLimits()
	// The storage client's first retry comes after a jittered backoff of
	// up to a second, the next up to two seconds later: five seconds
	// leave room for a retry however slow the machine.
	l.GCSTimeout = 5 * time.Second
	err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: gcsSource("b/app.conf"), RelativeDest: "local/"}, l)
	if !errors.Is(err, context.DeadlineExceeded) && (err == nil || !strings.Contains(err.Error(), "deadline exceeded")) {
		t.Fatalf("err = %v, want the gcs_timeout deadline", err)
	}
	if len(f.seen()) < 2 {
		t.Fatalf("%d requests: the server error was not retried", len(f.seen()))
	}
}

// A "#<generation>" suffix reads that generation of the object.
func TestFetchGCSGeneration(t *testing.T) {
	f := &fakeGCS{objects: map[string][]byte{"b/app.conf": []byte("generation 1")}}
	newFakeGCS(t, f)
	allocDir, taskDir := taskDirs(t)
	if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: gcsSource("b/app.conf#1"), RelativeDest: "local/"}, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "app.conf")); got != "generation 1" {
		t.Fatalf("content %q", got)
	}
	var asked bool
	for _, r := range f.seen() {
		asked = asked || r.URL.Query().Get("generation") == "1"
	}
	if !asked {
		t.Fatalf("no read named the generation: %v", paths(f.seen()))
	}
	err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: gcsSource("b/app.conf#7"), RelativeDest: "local/other/"}, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "object doesn't exist") {
		t.Fatalf("err = %v, want generation 7 missing", err)
	}
}
