package allocfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/drover-sh/drover"
)

// open opens rel, a path resolve returned (relative, free of symlinks when
// it was resolved), for reading. The kernel is told to refuse any symlink
// on the way and any step out of the allocation directory (openat2 with
// RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH), so a task that swaps a directory
// for a symlink after resolve looked cannot redirect the open, not even to
// another task's secrets. Kernels without openat2 (before 5.6) fall back to
// an os.Root, which still keeps the open inside the directory.
func (d *Dir) open(rel string) (*os.File, error) {
	dirfd, err := unix.Open(d.root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open allocation directory: %w", err)
	}
	defer unix.Close(dirfd)
	fd, err := unix.Openat2(dirfd, rel, &unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	switch {
	case err == nil:
		return os.NewFile(uintptr(fd), filepath.Join(d.root, rel)), nil
	case errors.Is(err, unix.ENOSYS):
		return d.openRoot(rel)
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.EXDEV):
		return nil, drover.Errorf(drover.ErrInvalid, "path %q changed while it was opened: a symlink appeared on the way", rel)
	}
	return nil, fsError(rel, err)
}

// openRoot opens rel through an os.Root, which follows symlinks but never
// out of the allocation directory.
func (d *Dir) openRoot(rel string) (*os.File, error) {
	r, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, fmt.Errorf("open allocation directory: %w", err)
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		return nil, fsError(rel, err)
	}
	return f, nil
}
