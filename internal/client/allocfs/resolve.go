package allocfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/drover-sh/drover"
)

// maxLinks bounds the symlinks one resolution follows, as the kernel's
// ELOOP limit does, so a link cycle ends with an error.
const maxLinks = 40

// resolve turns a request path into the path, relative to the allocation
// directory and free of symlinks, of what it names. A leading "/" means the
// allocation directory itself, as in Nomad's API. ".." may climb only as far
// as the allocation directory; a symlink is followed when it leads to
// something inside (an absolute target is accepted only when it points
// into the directory). followLast says whether a symlink in the last
// component is followed or named itself. The result is "." for the
// directory itself.
//
// Escapes are drover.ErrInvalid errors that name the path; a missing
// component is a drover.ErrNotFound.
func (d *Dir) resolve(p string, followLast bool) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", drover.Errorf(drover.ErrInvalid, "path %q contains a NUL byte", p)
	}
	var parts []string
	todo := splitPath(p)
	links := 0
	for len(todo) > 0 {
		comp := todo[0]
		todo = todo[1:]
		switch comp {
		case ".":
			continue
		case "..":
			if len(parts) == 0 {
				return "", escapeError(p)
			}
			parts = parts[:len(parts)-1]
			continue
		}
		rel := path.Join(append(parts, comp)...)
		fi, err := os.Lstat(filepath.Join(d.root, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			return "", drover.Errorf(drover.ErrNotFound, "path %q: %s does not exist", p, rel)
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 || (len(todo) == 0 && !followLast) {
			parts = append(parts, comp)
			continue
		}
		if links++; links > maxLinks {
			return "", drover.Errorf(drover.ErrInvalid, "path %q: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(filepath.Join(d.root, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			inside, ok := d.insideAbs(target)
			if !ok {
				return "", drover.Errorf(drover.ErrInvalid,
					"path %q: %s is a symlink to %s, outside the allocation directory", p, rel, target)
			}
			parts = nil
			target = inside
		}
		todo = append(splitPath(target), todo...)
	}
	if len(parts) == 0 {
		return ".", nil
	}
	return path.Join(parts...), nil
}

// insideAbs turns an absolute host path into one relative to the
// allocation directory, when it lies inside it.
func (d *Dir) insideAbs(target string) (string, bool) {
	rel, err := filepath.Rel(d.root, filepath.Clean(target))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// splitPath splits a slash-separated path into its non-empty components.
func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(filepath.ToSlash(p), "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

func escapeError(p string) error {
	return drover.Errorf(drover.ErrInvalid, "path %q leads outside the allocation directory", p)
}

// isSecret reports whether rel (resolved, relative to the allocation
// directory) lies inside a task's secrets directory: <task>/secrets/...
// Only the alloc/ directory is shared, so every other top-level directory
// is a task's.
func isSecret(rel string) bool {
	parts := splitPath(rel)
	return len(parts) >= 3 && parts[0] != "alloc" && parts[1] == "secrets"
}
