package artifact

import (
	"archive/tar"
	"encoding/xml"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/drover-sh/drover"
)

// fakeS3 speaks the part of the S3 REST API (path-style) that go-getter's
// S3Getter uses: ListObjectsV2 and GetObject. It serves objects keyed
// "bucket/key" and records every request it gets.
type fakeS3 struct {
	objects  map[string][]byte
	pageSize int    // keys per ListObjectsV2 page; 0 means 1000
	status   int    // when set, every request fails with this status
	code     string // the S3 error code sent with status

	mu       sync.Mutex
	requests []*http.Request
}

func newFakeS3(t *testing.T, f *fakeS3) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func (f *fakeS3) seen() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.requests...)
}

type s3ListResult struct {
	XMLName               xml.Name   `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string     `xml:"Name"`
	Prefix                string     `xml:"Prefix"`
	KeyCount              int        `xml:"KeyCount"`
	MaxKeys               int        `xml:"MaxKeys"`
	IsTruncated           bool       `xml:"IsTruncated"`
	ContinuationToken     string     `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string     `xml:"NextContinuationToken,omitempty"`
	Contents              []s3Object `xml:"Contents"`
}

type s3Object struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Clone(r.Context()))
	f.mu.Unlock()
	if f.status != 0 {
		f.fail(w, f.status, f.code, "refused by the test")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		f.fail(w, http.StatusForbidden, "AccessDenied", "request is not signed")
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && key == "" && r.URL.Query().Get("list-type") == "2":
		f.list(w, bucket, r.URL.Query())
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && key != "":
		body, ok := f.objects[bucket+"/"+key]
		if !ok {
			f.fail(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("ETag", `"`+sha(body)[:32]+`"`)
		w.Header().Set("Last-Modified", "Sun, 22 Nov 2026 00:00:00 GMT")
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	default:
		f.fail(w, http.StatusNotImplemented, "NotImplemented", r.Method+" "+r.URL.String()+" is not faked")
	}
}

// list answers ListObjectsV2 for prefix, pageSize keys at a time; the
// continuation token is the last key of the previous page.
func (f *fakeS3) list(w http.ResponseWriter, bucket string, q map[string][]string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	prefix, after := get("prefix"), get("continuation-token")
	var keys []string
	for bk := range f.objects {
		b, k, _ := strings.Cut(bk, "/")
		if b == bucket && strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	size := f.pageSize
	if size == 0 {
		size = 1000
	}
	res := s3ListResult{Name: bucket, Prefix: prefix, MaxKeys: size, ContinuationToken: after}
	if len(keys) > size {
		keys = keys[:size]
		res.IsTruncated = true
		res.NextContinuationToken = keys[size-1]
	}
	for _, k := range keys {
		body := f.objects[bucket+"/"+k]
		res.Contents = append(res.Contents, s3Object{Key: k, LastModified: "2026-11-22T00:00:00.000Z",
			ETag: `"` + sha(body)[:32] + `"`, Size: len(body), StorageClass: "STANDARD"})
	}
	res.KeyCount = len(res.Contents)
	w.Header().Set("Content-Type", "application/xml")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(res)
}

func (f *fakeS3) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(s3Error{Code: code, Message: msg, RequestID: "fake-request"})
}

// isolateAWS keeps the AWS SDK from reading this machine's credentials,
// profiles or instance metadata: a test sees only what its URL says.
func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

const (
	s3KeyID  = "AKIDEXAMPLE"
	s3Secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
)

// s3Source is an S3 source on a custom (non-AWS) endpoint: go-getter takes
// the bucket from the first path element, addresses it path-style, and
// reads credentials and region from the query.
func s3Source(srv *httptest.Server, bucketKey string) string {
	return "s3::" + srv.URL + "/" + bucketKey + "?aws_access_key_id=" + s3KeyID + "&aws_access_key_secret=" + s3Secret + "&region=eu-west-3"
}

// credentialScope returns the key id and region a SigV4 Authorization
// header names: "Credential=<id>/<date>/<region>/s3/aws4_request".
func credentialScope(t *testing.T, auth string) (keyID, region string) {
	t.Helper()
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		t.Fatalf("Authorization %q names no credential", auth)
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[3] != "s3" {
		t.Fatalf("credential scope %q", cred)
	}
	return parts[0], parts[2]
}

// assertNoSecretSent checks that the secret key never went over the wire:
// requests are signed with it, and the aws_* query parameters stay on the
// client.
func assertNoSecretSent(t *testing.T, reqs []*http.Request, secret string) {
	t.Helper()
	for _, r := range reqs {
		if strings.Contains(r.URL.String(), secret) || strings.Contains(r.URL.String(), "aws_access_key") {
			t.Fatalf("request %s carries the credentials in its URL", r.URL)
		}
		for k, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, secret) {
					t.Fatalf("request header %s carries the secret", k)
				}
			}
		}
	}
}

func TestFetchS3FileWithChecksum(t *testing.T) {
	isolateAWS(t)
	body := []byte("config from s3\n")
	f := &fakeS3{objects: map[string][]byte{"releases/v1.2/app.conf": body}}
	srv := newFakeS3(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  "s3::" + srv.URL + "/releases/v${NOMAD_META_v}/app.conf?aws_access_key_id=" + s3KeyID + "&aws_access_key_secret=" + s3Secret + "&region=eu-west-3",
		GetterOptions: map[string]string{"checksum": "sha256:" + sha(body)},
		RelativeDest:  "local/",
	}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(taskDir, "local", "app.conf")); got != string(body) {
		t.Fatalf("content %q", got)
	}
	reqs := f.seen()
	var gets int
	for _, r := range reqs {
		keyID, region := credentialScope(t, r.Header.Get("Authorization"))
		if keyID != s3KeyID || region != "eu-west-3" {
			t.Fatalf("%s %s signed as %s in %s, want %s in eu-west-3 from the URL", r.Method, r.URL, keyID, region, s3KeyID)
		}
		if r.Method == http.MethodGet && r.URL.Path == "/releases/v1.2/app.conf" {
			gets++
		}
	}
	if gets != 1 {
		t.Fatalf("object fetched %d times, want once; requests: %v", gets, paths(reqs))
	}
	assertNoSecretSent(t, reqs, s3Secret)
	if left := stagingLeft(t, taskDir); len(left) != 0 {
		t.Fatalf("staging left behind: %v", left)
	}
}

func TestFetchS3ChecksumMismatchWritesNothing(t *testing.T) {
	isolateAWS(t)
	f := &fakeS3{objects: map[string][]byte{"releases/app.bin": []byte("tampered")}}
	srv := newFakeS3(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  s3Source(srv, "releases/app.bin"),
		GetterOptions: map[string]string{"checksum": "sha256:" + sha([]byte("original"))},
		RelativeDest:  "local/",
	}
	err := fetch(t, taskDir, allocDir, a, DefaultLimits())
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "expected "+sha([]byte("original"))+", got "+sha([]byte("tampered"))) {
		t.Fatalf("err = %v, want a checksum mismatch naming both sums", err)
	}
	if strings.Contains(err.Error(), s3Secret) {
		t.Fatalf("error %q leaks the secret key", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
		t.Fatalf("local/ holds %d entries after a checksum mismatch", len(entries))
	}
}

// A prefix that names several objects is fetched as a directory, page
// after page of the listing, keeping the keys' layout below the prefix.
func TestFetchS3DirectoryPrefix(t *testing.T) {
	isolateAWS(t)
	objects := map[string][]byte{
		"site/www/index.html":      []byte("<h1>hi</h1>"),
		"site/www/css/main.css":    []byte("body{}"),
		"site/www/img/a/logo.svg":  []byte("<svg/>"),
		"site/www/robots.txt":      []byte("User-agent: *"),
		"site/www/empty-dir/":      nil, // a console-made "folder" marker
		"site/other/not-this.html": []byte("no"),
	}
	f := &fakeS3{objects: objects, pageSize: 2}
	srv := newFakeS3(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{GetterSource: s3Source(srv, "site/www"), RelativeDest: "local/www"}
	if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"index.html", "css/main.css", "img/a/logo.svg", "robots.txt"} {
		if got := readFile(t, filepath.Join(taskDir, "local", "www", k)); got != string(objects["site/www/"+k]) {
			t.Errorf("%s = %q", k, got)
		}
	}
	if _, err := os.Lstat(filepath.Join(taskDir, "local", "www", "empty-dir")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a folder marker became an entry: %v", err)
	}
	var pages int
	for _, r := range f.seen() {
		if r.URL.Query().Get("continuation-token") != "" {
			pages++
		}
	}
	if pages == 0 {
		t.Fatal("the listing was never continued past its first page")
	}
}

// A prefix ending in "/" is a folder: its objects are fetched in mode
// "any" as in mode "dir" (go-getter alone would look for one object named
// "conf/"), and a sibling key that shares the prefix's letters stays out.
// Without the slash the sibling is matched too, and the error says what to
// do.
func TestFetchS3FolderPrefix(t *testing.T) {
	objects := map[string][]byte{
		"b/conf/a.hcl":  []byte("a"),
		"b/conf/b.hcl":  []byte("b"),
		"b/conf.backup": []byte("not part of conf/"),
	}
	for _, mode := range []string{"", drover.GetterModeAny, drover.GetterModeDir} {
		t.Run("mode="+mode, func(t *testing.T) {
			isolateAWS(t)
			srv := newFakeS3(t, &fakeS3{objects: objects})
			allocDir, taskDir := taskDirs(t)
			a := &drover.TaskArtifact{GetterSource: s3Source(srv, "b/conf/"), GetterMode: mode, RelativeDest: "local/conf"}
			if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(filepath.Join(taskDir, "local", "conf"))
			if len(entries) != 2 || readFile(t, filepath.Join(taskDir, "local", "conf", "b.hcl")) != "b" {
				t.Fatalf("local/conf holds %v, want a.hcl and b.hcl", entries)
			}
		})
	}
	t.Run("no slash", func(t *testing.T) {
		isolateAWS(t)
		srv := newFakeS3(t, &fakeS3{objects: objects})
		allocDir, taskDir := taskDirs(t)
		err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: s3Source(srv, "b/conf"), RelativeDest: "local/conf"}, DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), `end a folder with "/"`) {
			t.Fatalf("err = %v, want one saying to end the folder with /", err)
		}
		if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
			t.Fatalf("local/ holds %v after a failed fetch", entries)
		}
	})
}

func TestFetchS3ArchiveUnpacked(t *testing.T) {
	isolateAWS(t)
	arch := tarGz(t,
		tarEntry{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		tarEntry{name: "bin/server", body: "#!/bin/sh\nexec true\n", mode: 0o755},
		tarEntry{name: "README", body: "readme"},
	)
	f := &fakeS3{objects: map[string][]byte{"dist/server-1.2.tar.gz": arch}}
	srv := newFakeS3(t, f)
	allocDir, taskDir := taskDirs(t)
	a := &drover.TaskArtifact{
		GetterSource:  s3Source(srv, "dist/server-1.2.tar.gz"),
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
	if _, err := os.Stat(filepath.Join(taskDir, "local", "server", "server-1.2.tar.gz")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the archive itself was placed: %v", err)
	}
}

// A session token in the URL goes out as X-Amz-Security-Token; options
// work as query parameters do; without credentials in the source the SDK's
// usual chain (here the environment) is used.
func TestFetchS3CredentialSources(t *testing.T) {
	t.Run("session token in the URL", func(t *testing.T) {
		isolateAWS(t)
		f := &fakeS3{objects: map[string][]byte{"b/k": []byte("k")}}
		srv := newFakeS3(t, f)
		allocDir, taskDir := taskDirs(t)
		src := s3Source(srv, "b/k") + "&aws_access_token=session-token-value"
		if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: src, RelativeDest: "local/"}, DefaultLimits()); err != nil {
			t.Fatal(err)
		}
		for _, r := range f.seen() {
			if got := r.Header.Get("X-Amz-Security-Token"); got != "session-token-value" {
				t.Fatalf("%s %s: X-Amz-Security-Token = %q", r.Method, r.URL, got)
			}
		}
	})
	t.Run("options", func(t *testing.T) {
		isolateAWS(t)
		f := &fakeS3{objects: map[string][]byte{"b/k": []byte("k")}}
		srv := newFakeS3(t, f)
		allocDir, taskDir := taskDirs(t)
		a := &drover.TaskArtifact{GetterSource: "s3::" + srv.URL + "/b/k", RelativeDest: "local/", GetterOptions: map[string]string{
			"aws_access_key_id": s3KeyID, "aws_access_key_secret": s3Secret, "region": "ap-south-${NOMAD_META_v}",
		}}
		if err := fetch(t, taskDir, allocDir, a, DefaultLimits()); err != nil {
			t.Fatal(err)
		}
		for _, r := range f.seen() {
			if keyID, region := credentialScope(t, r.Header.Get("Authorization")); keyID != s3KeyID || region != "ap-south-1.2" {
				t.Fatalf("signed as %s in %s, want the options' key in the interpolated region", keyID, region)
			}
		}
		assertNoSecretSent(t, f.seen(), s3Secret)
	})
	t.Run("environment", func(t *testing.T) {
		isolateAWS(t)
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
		f := &fakeS3{objects: map[string][]byte{"b/k": []byte("k")}}
		srv := newFakeS3(t, f)
		allocDir, taskDir := taskDirs(t)
		if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: "s3::" + srv.URL + "/b/k", RelativeDest: "local/"}, DefaultLimits()); err != nil {
			t.Fatal(err)
		}
		for _, r := range f.seen() {
			if keyID, region := credentialScope(t, r.Header.Get("Authorization")); keyID != "AKIDFROMENV" || region != "us-east-1" {
				t.Fatalf("signed as %s in %s, want the environment's key in the default us-east-1", keyID, region)
			}
		}
		if got := readFile(t, filepath.Join(taskDir, "local", "k")); got != "k" {
			t.Fatalf("content %q", got)
		}
	})
}

func TestFetchS3ErrorsNameTheFaultNotTheSecret(t *testing.T) {
	tests := []struct {
		name     string
		f        *fakeS3
		want     []string
		requests int // at least this many: a server error is retried
	}{
		{"missing object", &fakeS3{objects: map[string][]byte{}}, []string{"404", "NoSuchKey"}, 1},
		{"access denied", &fakeS3{status: http.StatusForbidden, code: "AccessDenied"}, []string{"403", "AccessDenied"}, 1},
		{"server error", &fakeS3{status: http.StatusServiceUnavailable, code: "SlowDown"}, []string{"503", "SlowDown", "exceeded maximum number of attempts, 3"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t)
			srv := newFakeS3(t, tc.f)
			allocDir, taskDir := taskDirs(t)
			a := &drover.TaskArtifact{GetterSource: s3Source(srv, "b/missing.bin") + "&aws_access_token=session-secret", RelativeDest: "local/"}
			err := fetch(t, taskDir, allocDir, a, DefaultLimits())
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if !strings.Contains(msg, srv.URL+"/b/missing.bin") {
				t.Errorf("error %q does not name the source", msg)
			}
			for _, secret := range []string{s3Secret, "session-secret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q leaks %q", msg, secret)
				}
			}
			if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
				t.Fatalf("local/ holds %d entries after a failed fetch", len(entries))
			}
			if n := len(tc.f.seen()); n < tc.requests {
				t.Fatalf("%d requests, want at least %d", n, tc.requests)
			}
		})
	}
}

func paths(reqs []*http.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.URL.String())
	}
	return out
}

// An object is not an http body: http_max_size does not bound it, but the
// fetched tree is counted before anything is placed, so an object over
// decompression_size_limit is refused.
func TestFetchBucketObjectOverSizeLimitRefused(t *testing.T) {
	big := make([]byte, 4096)
	l := DefaultLimits()
	l.DecompressionSizeLimit = 1024
	t.Run("s3", func(t *testing.T) {
		isolateAWS(t)
		srv := newFakeS3(t, &fakeS3{objects: map[string][]byte{"b/big.bin": big}})
		allocDir, taskDir := taskDirs(t)
		err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: s3Source(srv, "b/big.bin"), RelativeDest: "local/"}, l)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "decompression_size_limit") {
			t.Fatalf("err = %v, want decompression_size_limit refused", err)
		}
		if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
			t.Fatalf("local/ holds %v", entries)
		}
	})
	t.Run("gcs", func(t *testing.T) {
		newFakeGCS(t, &fakeGCS{objects: map[string][]byte{"b/big.bin": big}})
		allocDir, taskDir := taskDirs(t)
		err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: gcsSource("b/big.bin"), RelativeDest: "local/"}, l)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "decompression_size_limit") {
			t.Fatalf("err = %v, want decompression_size_limit refused", err)
		}
		if entries, _ := os.ReadDir(filepath.Join(taskDir, "local")); len(entries) != 0 {
			t.Fatalf("local/ holds %v", entries)
		}
	})
}

// Every way of writing an AWS S3 source reaches the same bucket, key and
// region. AWS_ENDPOINT_URL_S3 sends the SDK's requests to the fake; the
// host in the source still decides the region and, for the forms that
// name it, the bucket.
func TestFetchS3AWSSourceForms(t *testing.T) {
	for _, tc := range []struct{ src, region string }{
		{"my-bucket.s3.amazonaws.com/releases/app.conf", "us-east-1"},
		{"my-bucket.s3.eu-west-1.amazonaws.com/releases/app.conf", "eu-west-1"},
		{"my-bucket.s3-eu-west-1.amazonaws.com/releases/app.conf", "eu-west-1"},
		{"s3::https://my-bucket.s3.eu-west-1.amazonaws.com/releases/app.conf", "eu-west-1"},
		{"s3::https://my-bucket.s3-eu-west-1.amazonaws.com/releases/app.conf", "eu-west-1"},
		{"s3::https://s3.amazonaws.com/my-bucket/releases/app.conf", "us-east-1"},
		{"s3::https://s3-eu-west-1.amazonaws.com/my-bucket/releases/app.conf", "eu-west-1"},
		{"s3::https://s3.eu-west-1.amazonaws.com/my-bucket/releases/app.conf", "eu-west-1"},
		{"s3::https://s3.cn-north-1.amazonaws.com.cn/my-bucket/releases/app.conf", "cn-north-1"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			isolateAWS(t)
			f := &fakeS3{objects: map[string][]byte{"my-bucket/releases/app.conf": []byte("x")}}
			srv := newFakeS3(t, f)
			t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
			t.Setenv("AWS_ACCESS_KEY_ID", s3KeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", s3Secret)
			allocDir, taskDir := taskDirs(t)
			if err := fetch(t, taskDir, allocDir, &drover.TaskArtifact{GetterSource: tc.src, RelativeDest: "local/"}, DefaultLimits()); err != nil {
				t.Fatalf("%v; requests: %v", err, paths(f.seen()))
			}
			if got := readFile(t, filepath.Join(taskDir, "local", "app.conf")); got != "x" {
				t.Fatalf("content %q", got)
			}
			for _, r := range f.seen() {
				if _, region := credentialScope(t, r.Header.Get("Authorization")); region != tc.region {
					t.Fatalf("%s signed for %s, want %s", r.URL, region, tc.region)
				}
			}
		})
	}
}
