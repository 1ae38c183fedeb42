// Package mountinfo reads the calling process's mount table
// (/proc/self/mountinfo) and unmounts what lies under a directory, so that
// the owner of a directory tree holding mounts (a task's secrets tmpfs) can
// remove it: os.RemoveAll stops at a mount point with EBUSY after emptying
// the mounted file system.
package mountinfo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Under returns the mount points at or below dir, deepest first (the order
// in which they can be unmounted). dir is resolved through symbolic links
// first, as the kernel lists real paths.
func Under(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("mountinfo: %w", err)
	}
	defer f.Close()
	return under(f, resolve(dir))
}

func resolve(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.Clean(dir)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// under parses a mountinfo table and keeps the mount points at or below
// dir, deepest first; a path mounted on twice is listed twice.
func under(r io.Reader, dir string) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescape(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mountinfo: %w", err)
	}
	// Deeper paths first; among equal paths the later mount (on top) first.
	idx := make(map[string]int, len(out))
	order := make([]int, len(out))
	for i, p := range out {
		order[i] = idx[p]
		idx[p]++
	}
	type entry struct {
		path string
		n    int
	}
	es := make([]entry, len(out))
	for i := range out {
		es[i] = entry{out[i], order[i]}
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		if d := strings.Count(b.path, "/") - strings.Count(a.path, "/"); d != 0 {
			return d
		}
		if a.path != b.path {
			return strings.Compare(a.path, b.path)
		}
		return b.n - a.n
	})
	for i := range es {
		out[i] = es[i].path
	}
	return out, nil
}

// unescape decodes the octal escapes (\040 for a space, ...) the kernel
// writes in mountinfo paths.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// UnmountUnder unmounts every mount at or below dir, deepest first. A mount
// that is busy (a process still has a file open on it) is detached lazily:
// it disappears from the tree at once and is freed when the last user goes.
func UnmountUnder(dir string) error {
	mps, err := Under(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, mp := range mps {
		err := unix.Unmount(mp, 0)
		if errors.Is(err, unix.EBUSY) {
			err = unix.Unmount(mp, unix.MNT_DETACH)
		}
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", mp, err))
		}
	}
	return errors.Join(errs...)
}

// RemoveAll unmounts everything under dir, then removes dir and what it
// holds.
func RemoveAll(dir string) error {
	uerr := UnmountUnder(dir)
	if err := os.RemoveAll(dir); err != nil {
		return errors.Join(uerr, err)
	}
	return uerr
}
