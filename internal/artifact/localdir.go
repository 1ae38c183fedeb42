package artifact

import (
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	getter "github.com/hashicorp/go-getter"
)

// fileGetter is go-getter's file getter with one change: a directory is
// copied, not linked. go-getter links a local directory into place, which
// would hand the task a symlink to a host directory (refused by
// checkTree) instead of its files.
type fileGetter struct {
	*getter.FileGetter
}

// Get copies the directory at u into dst. It follows no symlink: a source
// directory holding one, or a device or pipe, is refused.
func (g fileGetter) Get(dst string, u *url.URL) error {
	src := u.Path
	if u.RawPath != "" {
		src = u.RawPath
	}
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("source path: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("source path %s is not a directory", src)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyRegular(p, target)
		case d.Type()&fs.ModeSymlink != 0:
			return refusef("local directory %s holds a symlink (%s): symlinks are not copied", src, rel)
		default:
			return refusef("local directory %s holds %s, which is not a regular file", src, rel)
		}
	})
}

// copyRegular copies one regular file, keeping its permission bits (not
// setuid/setgid, which checkTree would strip anyway).
func copyRegular(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
