// Package artifact fetches a task's artifact blocks into its task directory
// through hashicorp/go-getter (http, https, s3, gcs, git, local files),
// verifies checksums, unpacks archives within limits, and refuses anything
// that would land outside the task directory.
//
// A fetch never writes straight into the destination: go-getter downloads
// and unpacks into a fresh staging directory inside the task directory, the
// staged tree is checked (size and file count, symlinks, special files,
// setuid/setgid bits), and only then is it moved into place, entry by entry,
// without following any symlink already present on the way.
package artifact

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/drover-sh/drover"
	getter "github.com/hashicorp/go-getter"
)

// Limits bound what one artifact may cost the client. The zero value of a
// field means no limit, except where DefaultLimits says otherwise.
type Limits struct {
	// HTTPReadTimeout bounds an HTTP download, from request to last byte.
	HTTPReadTimeout time.Duration
	// HTTPMaxBytes bounds the body of one HTTP download.
	HTTPMaxBytes int64
	// GCSTimeout, GitTimeout and S3Timeout bound a download from each.
	GCSTimeout, GitTimeout, S3Timeout time.Duration
	// DecompressionSizeLimit bounds the total size of the files one
	// artifact unpacks to (and of the tree a directory download yields).
	DecompressionSizeLimit int64
	// DecompressionFileCountLimit bounds the number of files and links one
	// artifact unpacks to (and that a directory download yields).
	DecompressionFileCountLimit int
	// FileRoots are host directories, besides the allocation directory,
	// that local file sources (file:// and plain paths) may read from. A
	// local source elsewhere is refused, so a job cannot copy the client's
	// own files into its task.
	FileRoots []string
}

// DefaultLimits returns the limits a client has unless its artifact block
// says otherwise; they follow Nomad's defaults.
func DefaultLimits() Limits {
	return Limits{
		HTTPReadTimeout:             30 * time.Minute,
		HTTPMaxBytes:                100 << 30,
		GCSTimeout:                  30 * time.Minute,
		GitTimeout:                  30 * time.Minute,
		S3Timeout:                   30 * time.Minute,
		DecompressionSizeLimit:      100 << 30,
		DecompressionFileCountLimit: 4096,
	}
}

// Interpolator expands ${...} references (NOMAD_*, attr.*, meta.*) in a
// string; the client's task environment satisfies it.
type Interpolator interface {
	Replace(s string) string
}

// Request is one artifact to fetch for one task.
type Request struct {
	// Artifact is the job's artifact block.
	Artifact *drover.TaskArtifact
	// TaskDir is the task's directory: destinations are relative to it and
	// nothing is written outside it.
	TaskDir string
	// AllocDir is the allocation's directory; local file sources may read
	// from it.
	AllocDir string
	// Env interpolates source, destination, options and headers.
	Env Interpolator
	// Limits bound the download and the unpacked tree.
	Limits Limits
}

// Error is a failed fetch. Its message is meant for the task's events.
type Error struct {
	Source string // the interpolated source, credentials redacted
	Err    error
}

func (e *Error) Error() string { return fmt.Sprintf("artifact %q: %v", e.Source, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrRefused marks content or settings refused for safety: a destination
// or an entry outside the task directory, an escaping symlink, a limit
// exceeded, a local source outside the allowed roots, a special file.
var ErrRefused = errors.New("refused")

func refusef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// stagingPrefix names the staging directories Fetch makes in a task
// directory.
const stagingPrefix = ".artifact-"

// RemoveStaging removes staging directories an interrupted fetch (an agent
// killed mid-download) left in taskDir. Call it before fetching again.
func RemoveStaging(taskDir string) error {
	matches, err := filepath.Glob(filepath.Join(taskDir, stagingPrefix+"*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range matches {
		errs = append(errs, os.RemoveAll(m))
	}
	return errors.Join(errs...)
}

// Fetch downloads req's artifact into the task directory. It returns an
// *Error naming the source; the destination is untouched unless the whole
// artifact was fetched, verified and checked, and fits what the
// destination already holds.
func Fetch(ctx context.Context, req Request) error {
	a := req.Artifact
	src := interpolate(req.Env, a.GetterSource)
	fail := func(err error) error { return &Error{Source: redact(src), Err: err} }
	if src == "" {
		return fail(errors.New("source is empty"))
	}
	dest, err := destination(req.TaskDir, interpolate(req.Env, a.RelativeDest))
	if err != nil {
		return fail(err)
	}
	source, err := withOptions(src, a.GetterOptions, req.Env)
	if err != nil {
		return fail(err)
	}
	if err := checkLocalSource(source, req.TaskDir, req.AllocDir, req.Limits.FileRoots); err != nil {
		return fail(err)
	}
	stage, err := os.MkdirTemp(req.TaskDir, stagingPrefix)
	if err != nil {
		return fail(fmt.Errorf("staging directory: %w", err))
	}
	defer os.RemoveAll(stage)
	out := filepath.Join(stage, "out")
	mode := clientMode(a.GetterMode)
	if mode == getter.ClientModeAny && bucketFolder(source, req.TaskDir) {
		mode = getter.ClientModeDir
	}
	c := &getter.Client{
		Ctx:             ctx,
		Src:             s3DashRegion(source, req.TaskDir),
		Dst:             out,
		Pwd:             req.TaskDir,
		Mode:            mode,
		Umask:           0o022,
		Detectors:       getter.Detectors,
		Decompressors:   decompressors(req.Limits),
		Getters:         getters(req.Limits, headers(a.GetterHeaders, req.Env)),
		DisableSymlinks: true,
	}
	if err := c.Get(); err != nil {
		return fail(explainBucketPrefix(plainError(err)))
	}
	if err := checkTree(out, dest, req.TaskDir, req.Limits); err != nil {
		return fail(err)
	}
	if err := place(out, dest, req.TaskDir); err != nil {
		return fail(err)
	}
	return nil
}

func interpolate(env Interpolator, s string) string {
	if env == nil {
		return s
	}
	return env.Replace(s)
}

func clientMode(m string) getter.ClientMode {
	switch m {
	case drover.GetterModeFile:
		return getter.ClientModeFile
	case drover.GetterModeDir:
		return getter.ClientModeDir
	}
	return getter.ClientModeAny
}

// destination resolves rel (interpolated) against taskDir and refuses one
// that leaves it. An empty rel means local/. An absolute path is accepted
// only inside taskDir, as "${NOMAD_TASK_DIR}/conf" becomes.
func destination(taskDir, rel string) (string, error) {
	if rel == "" {
		rel = "local/"
	}
	if filepath.IsAbs(rel) {
		abs := filepath.Clean(rel)
		if !within(taskDir, abs) {
			return "", refusef("destination %q is outside the task directory", rel)
		}
		return abs, nil
	}
	clean := filepath.Clean(rel)
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return "", refusef("destination %q leads out of the task directory", rel)
	}
	return filepath.Join(taskDir, clean), nil
}

// bucketFolder reports whether src names an S3 or GCS "folder": a key
// prefix ending in "/". In mode "any" go-getter's S3 getter takes such a
// prefix for the name of one object (and fails with a 404), so Fetch
// fetches it as a directory, as the trailing slash says.
func bucketFolder(src, pwd string) bool {
	detected, err := getter.Detect(src, pwd, getter.Detectors)
	if err != nil {
		return false
	}
	force, rest := forcedGetter(detected)
	if force != "s3::" && force != "gcs::" {
		return false
	}
	rest, _ = getter.SourceDirSubdir(rest)
	u, err := url.Parse(rest)
	return err == nil && strings.HasSuffix(u.Path, "/")
}

// s3DashRegion rewrites an S3 source on a regional endpoint written
// path-style with a dot, s3.<region>.amazonaws.com/<bucket>/<key> (the
// form go-getter's detector makes of <bucket>.s3.<region>.amazonaws.com/<key>),
// to the dash form s3-<region>.amazonaws.com/<bucket>/<key>. go-getter's
// S3 getter reads the dot form as a virtual-hosted one and takes "s3" for
// the bucket. The host only tells the getter the region: the AWS SDK
// addresses the bucket at the region's endpoint either way. Any other
// source comes back as it was.
func s3DashRegion(src, pwd string) string {
	detected, err := getter.Detect(src, pwd, getter.Detectors)
	if err != nil {
		return src
	}
	force, rest := forcedGetter(detected)
	if force != "s3::" {
		return src
	}
	u, err := url.Parse(rest)
	if err != nil {
		return src
	}
	labels := strings.Split(u.Hostname(), ".")
	suffix := strings.Join(labels[min(2, len(labels)):], ".")
	if len(labels) < 4 || labels[0] != "s3" || (suffix != "amazonaws.com" && suffix != "amazonaws.com.cn") {
		return src
	}
	host := "s3-" + labels[1] + "." + suffix
	if port := u.Port(); port != "" {
		host += ":" + port
	}
	return strings.Replace(detected, "://"+u.Host+"/", "://"+host+"/", 1)
}

// withOptions adds the artifact's options (checksum, archive, ref, ...) to
// the source as query parameters, where go-getter reads them.
func withOptions(src string, opts map[string]string, env Interpolator) (string, error) {
	if len(opts) == 0 {
		return src, nil
	}
	u, err := url.Parse(src)
	if err != nil {
		return "", fmt.Errorf("source is not a URL that options can be added to: %w", err)
	}
	q := u.Query()
	for k, v := range opts {
		q.Set(k, interpolate(env, v))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func headers(h map[string]string, env Interpolator) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		out.Set(k, interpolate(env, v))
	}
	return out
}

// getters builds a fresh getter set per fetch: the HTTP getter carries this
// artifact's headers, and go-getter's getters hold per-client state.
// X-Terraform-Get redirects are off: a server must not be able to turn an
// http source into a read of the client's files.
func getters(l Limits, h http.Header) map[string]getter.Getter {
	httpGetter := &getter.HttpGetter{
		Client:                httpClient(l.HTTPMaxBytes),
		Header:                h,
		ReadTimeout:           l.HTTPReadTimeout,
		XTerraformGetDisabled: true,
	}
	return map[string]getter.Getter{
		"file":  fileGetter{&getter.FileGetter{Copy: true}},
		"http":  httpGetter,
		"https": httpGetter,
		"git":   &getter.GitGetter{Timeout: l.GitTimeout},
		"s3":    &getter.S3Getter{Timeout: l.S3Timeout},
		"gcs":   &getter.GCSGetter{Timeout: l.GCSTimeout, FileSizeLimit: l.DecompressionSizeLimit},
	}
}

// ErrChecksum marks a download whose checksum did not match the one its
// options named.
var ErrChecksum = errors.New("checksum mismatch")

// plainError turns go-getter's multi-line checksum error into one line
// that says which checksum was expected and which was found, and wraps
// ErrChecksum.
func plainError(err error) error {
	var ce *getter.ChecksumError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w: expected %x, got %x", ErrChecksum, ce.Expected, ce.Actual)
	}
	return err
}

// explainBucketPrefix adds what to do to go-getter's error for an S3 or GCS
// prefix that also matches keys beside the one meant ("conf" matches
// "conf.backup" as well as "conf/a.hcl"; on GCS "app.conf" also matches
// "app.conf.bak"): every matched key must lie below the prefix.
func explainBucketPrefix(err error) error {
	if !strings.Contains(err.Error(), "key in bucket contains path traversal") {
		return err
	}
	return fmt.Errorf("%w (the source's prefix also matches keys beside it: end a folder with \"/\", or set mode = \"file\" for one object)", err)
}

// credentialParams are the query parameters go-getter reads credentials
// from: an S3 key pair and session token, and a git source's SSH key.
var credentialParams = []string{"aws_access_key_id", "aws_access_key_secret", "aws_access_token", "sshkey"}

// redact hides the credentials a source may carry so that they never
// reach events or logs: a URL's password and the values of
// credentialParams, also behind a forced getter such as "s3::" or "git::".
// A source that does not parse as a URL loses its query and user info.
func redact(src string) string {
	force, rest := forcedGetter(src)
	u, err := url.Parse(rest)
	if err != nil {
		rest, _, _ = strings.Cut(rest, "?")
		if scheme, after, ok := strings.Cut(rest, "://"); ok {
			if _, host, ok := strings.Cut(after, "@"); ok {
				rest = scheme + "://redacted@" + host
			}
		}
		return force + rest
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	u.RawQuery = redactQuery(u.RawQuery)
	return force + u.String()
}

// redactQuery replaces the values of credentialParams in a raw query and
// leaves the rest as written. It reads the query itself rather than
// through url.ParseQuery, which drops a pair it cannot unescape and would
// so let a malformed secret through.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	pairs := strings.Split(raw, "&")
	for i, p := range pairs {
		k, _, _ := strings.Cut(p, "=")
		name := k
		if n, err := url.QueryUnescape(k); err == nil {
			name = n
		}
		if slices.Contains(credentialParams, strings.ToLower(name)) {
			pairs[i] = k + "=redacted"
		}
	}
	return strings.Join(pairs, "&")
}

// forcedGetter splits "s3::https://..." into "s3::" and the URL; a source
// without a forced getter comes back whole. The prefix is letters and
// digits only, so an IPv6 literal ("http://[::1]/") is not mistaken for one.
func forcedGetter(src string) (prefix, rest string) {
	name, after, ok := strings.Cut(src, "::")
	if !ok || name == "" {
		return "", src
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "", src
		}
	}
	return name + "::", after
}
