package allocfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/drover-sh/drover"
)

// Dir serves the files of one allocation directory. Its methods take paths
// relative to that directory ("/" or "" is the directory itself) and are
// safe for concurrent use.
type Dir struct {
	root string
}

// New returns a Dir over the allocation directory root.
func New(root string) *Dir { return &Dir{root: root} }

// List lists the directory at p, sorted by name. Symlinks are listed as
// links, never followed; a symlink named by p itself is followed when it
// stays inside the allocation directory.
func (d *Dir) List(p string) ([]*drover.AllocFileInfo, error) {
	rel, err := d.resolve(p, true)
	if err != nil {
		return nil, err
	}
	f, err := d.open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat %q: %w", p, err)
	}
	if !fi.IsDir() {
		return nil, drover.Errorf(drover.ErrInvalid, "path %q is a file, not a directory: read it with cat", p)
	}
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", p, err)
	}
	out := make([]*drover.AllocFileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info() // lstat: a link stays a link
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing
		}
		if err != nil {
			return nil, fmt.Errorf("list %q: %w", p, err)
		}
		out = append(out, fileInfo(e.Name(), info))
	}
	slices.SortFunc(out, func(a, b *drover.AllocFileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Stat describes what p names; a symlink in its last component is
// described as the link it is. ContentType is set for a regular file
// outside secrets/.
func (d *Dir) Stat(p string) (*drover.AllocFileInfo, error) {
	rel, err := d.resolve(p, false)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, fmt.Errorf("open allocation directory: %w", err)
	}
	defer r.Close()
	fi, err := r.Lstat(rel)
	if err != nil {
		return nil, fsError(p, err)
	}
	name := path.Base(rel)
	if rel == "." {
		name = "/"
	}
	info := fileInfo(name, fi)
	if fi.Mode().IsRegular() && !isSecret(rel) {
		info.ContentType = d.contentType(rel)
	}
	return info, nil
}

// contentType sniffs a file's first bytes; "" when it cannot be read.
func (d *Dir) contentType(rel string) string {
	f, err := d.open(rel)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, _ := io.ReadFull(f, buf)
	return http.DetectContentType(buf[:n])
}

// Open opens the regular file p for reading, following symlinks that stay
// inside. A directory is a drover.ErrInvalid; a file in a task's secrets/
// directory is a drover.ErrPermission.
func (d *Dir) Open(p string) (*os.File, error) {
	f, _, err := d.openFile(p)
	return f, err
}

// openFile is Open that also returns the file's resolved path.
func (d *Dir) openFile(p string) (*os.File, string, error) {
	rel, err := d.resolve(p, true)
	if err != nil {
		return nil, "", err
	}
	if isSecret(rel) {
		return nil, "", drover.Errorf(drover.ErrPermission, "path %q is in a task's secrets directory: its files are not served", p)
	}
	f, err := d.open(rel)
	if err != nil {
		return nil, "", err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("stat %q: %w", p, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, "", drover.Errorf(drover.ErrInvalid, "path %q is a directory: list it with ls", p)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, "", drover.Errorf(drover.ErrInvalid, "path %q is not a regular file (%s)", p, fi.Mode().Type())
	}
	return f, rel, nil
}

// ReadAt returns a reader of at most limit bytes of file p from offset;
// limit < 0 reads to the end.
func (d *Dir) ReadAt(p string, offset, limit int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, drover.Errorf(drover.ErrInvalid, "offset %d must not be negative", offset)
	}
	f, err := d.Open(p)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("seek %q: %w", p, err)
	}
	if limit < 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, limit), f}, nil
}

// fsError gives a file system error its kind.
func fsError(p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return drover.Errorf(drover.ErrNotFound, "path %q does not exist", p)
	case errors.Is(err, fs.ErrPermission):
		return drover.Errorf(drover.ErrPermission, "path %q: %v", p, err)
	}
	// An os.Root refuses an escape with an error of its own.
	return drover.Errorf(drover.ErrInvalid, "path %q: %v", p, err)
}

// fileInfo converts an lstat result.
func fileInfo(name string, fi fs.FileInfo) *drover.AllocFileInfo {
	return &drover.AllocFileInfo{
		Name:     name,
		IsDir:    fi.IsDir(),
		Size:     fi.Size(),
		FileMode: fi.Mode().String(),
		ModTime:  fi.ModTime(),
	}
}
