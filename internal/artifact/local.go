package artifact

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	getter "github.com/hashicorp/go-getter"
)

// checkLocalSource refuses a source that reads the client's own files from
// outside the allocation directory and the configured roots. A source is
// local when it is a plain path or its URL (after a forced getter such as
// git::) has the file scheme; a relative path is taken from the task
// directory, as go-getter does.
func checkLocalSource(src, taskDir, allocDir string, roots []string) error {
	if err := checkLocalChecksumFile(src, taskDir, allocDir, roots); err != nil {
		return err
	}
	detected, err := getter.Detect(src, taskDir, getter.Detectors)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	_, rest, forced := strings.Cut(detected, "::")
	if !forced {
		rest = detected
	}
	rest, _ = getter.SourceDirSubdir(rest)
	u, err := url.Parse(rest)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if u.Scheme != "file" {
		return nil
	}
	path := u.Path
	if u.RawPath != "" {
		path = u.RawPath
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("local source: %w", err)
	}
	for _, root := range append([]string{allocDir}, roots...) {
		if root == "" {
			continue
		}
		r, err := filepath.EvalSymlinks(root)
		if err != nil {
			continue // a root that does not exist holds nothing
		}
		if within(r, real) {
			return nil
		}
	}
	return refusef("local source %s is outside the allocation directory and the client's artifact file roots", path)
}

// checkLocalChecksumFile applies the same rule to a checksum read from a
// file (checksum = "file:<source>"), which go-getter fetches too.
func checkLocalChecksumFile(src, taskDir, allocDir string, roots []string) error {
	_, rest, forced := strings.Cut(src, "::")
	if !forced {
		rest = src
	}
	u, err := url.Parse(rest)
	if err != nil {
		return nil // reported when the source itself is checked
	}
	sum := u.Query().Get("checksum")
	if f, ok := strings.CutPrefix(sum, "file:"); ok && f != "" {
		if err := checkLocalSource(f, taskDir, allocDir, roots); err != nil {
			return fmt.Errorf("checksum file: %w", err)
		}
	}
	return nil
}

// within reports whether path is root or lies below it, lexically.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
