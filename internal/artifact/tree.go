package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// checkTree inspects what go-getter left at out before any of it moves to
// dest (its final place inside taskDir). It is the second line of defence
// behind go-getter's own limits, and the only one for sources that are not
// archives (a git repository, a directory copy): it counts files and bytes
// against the limits, refuses special files and symlinks whose target,
// once placed, would lie outside the task directory, and strips setuid and
// setgid bits.
func checkTree(out, dest, taskDir string, l Limits) error {
	var files int
	var size int64
	return filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		final := filepath.Join(dest, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode()
		switch {
		case mode.IsDir():
			return stripSpecialBits(p, mode)
		case mode&fs.ModeSymlink != 0:
			files++
			if err := checkLink(p, final, taskDir); err != nil {
				return err
			}
		case mode.IsRegular():
			files++
			size += info.Size()
			if err := stripSpecialBits(p, mode); err != nil {
				return err
			}
		default:
			return refusef("%s is a %s, not a regular file, directory or symlink", rel, kind(mode))
		}
		if l.DecompressionFileCountLimit > 0 && files > l.DecompressionFileCountLimit {
			return refusef("more than %d files (decompression_file_count_limit)", l.DecompressionFileCountLimit)
		}
		if l.DecompressionSizeLimit > 0 && size > l.DecompressionSizeLimit {
			return refusef("more than %d bytes (decompression_size_limit)", l.DecompressionSizeLimit)
		}
		return nil
	})
}

// checkLink refuses a symlink whose target, read from where the link will
// be placed (final), lies outside taskDir. The check is lexical on purpose:
// every link in the tree is checked, so a chain of links cannot step out
// either, and the task directory's own path holds no links we placed.
func checkLink(p, final, taskDir string) error {
	target, err := os.Readlink(p)
	if err != nil {
		return err
	}
	resolved := target
	if !filepath.IsAbs(target) {
		resolved = filepath.Join(filepath.Dir(final), target)
	}
	if !within(taskDir, filepath.Clean(resolved)) {
		rel, _ := filepath.Rel(taskDir, final)
		return refusef("symlink %s -> %s leads out of the task directory", rel, target)
	}
	return nil
}

// stripSpecialBits clears setuid and setgid (and sticky) so that nothing an
// artifact brings can raise a task's privileges.
func stripSpecialBits(p string, mode fs.FileMode) error {
	const special = fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	if mode&special == 0 {
		return nil
	}
	if err := os.Chmod(p, mode.Perm()); err != nil {
		return fmt.Errorf("stripping setuid/setgid: %w", err)
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// place moves the checked tree at out to dest, creating directories on the
// way. A directory on the way that is a symlink (or not a directory) is
// refused, never followed; files and links are renamed into place, which
// replaces a symlink at the target instead of writing through it. The whole
// tree is checked against what dest holds before anything moves, so a
// refusal leaves dest as it was.
func place(out, dest, taskDir string) error {
	info, err := os.Lstat(out)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if err := checkTarget(taskDir, dest, false); err != nil {
			return err
		}
		if err := mkdirNoFollow(taskDir, filepath.Dir(dest)); err != nil {
			return err
		}
		return renameNoDir(out, dest)
	}
	for _, move := range []bool{false, true} {
		if err := walkPlacement(out, dest, taskDir, move); err != nil {
			return err
		}
	}
	return nil
}

// walkPlacement checks (move false) or carries out (move true) placing
// every entry of out under dest.
func walkPlacement(out, dest, taskDir string, move bool) error {
	return filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dest, rel)
		switch {
		case !move:
			return checkTarget(taskDir, target, d.IsDir())
		case d.IsDir():
			return mkdirNoFollow(taskDir, target)
		default:
			return renameNoDir(p, target)
		}
	})
}

// checkTarget refuses a target whose existing path inside root goes through
// a symlink or a file, or (for a file) that is an existing directory.
func checkTarget(root, target string, isDir bool) error {
	if !within(root, target) {
		return refusef("%s is outside the task directory", target)
	}
	rel, _ := filepath.Rel(root, target)
	cur := root
	parts := strings.Split(rel, string(filepath.Separator))
	for i, part := range parts {
		if part == "." {
			continue
		}
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing below exists either
		}
		if err != nil {
			return err
		}
		last := i == len(parts)-1
		r, _ := filepath.Rel(root, cur)
		switch {
		case last && !isDir:
			if fi.IsDir() {
				return refusef("%s in the destination is a directory; a file would replace it", r)
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			return refusef("%s in the destination is a symlink: it is not followed", r)
		case !fi.IsDir():
			return refusef("%s in the destination is a file, not a directory", r)
		}
	}
	return nil
}

// mkdirNoFollow makes dir (inside root) and its parents, refusing any
// existing component that is a symlink or not a directory.
func mkdirNoFollow(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || !within(root, dir) {
		return refusef("%s is outside the task directory", dir)
	}
	cur := root
	if rel == "." {
		return nil
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(cur, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			r, _ := filepath.Rel(root, cur)
			return refusef("%s in the destination is a symlink: it is not followed", r)
		case !fi.IsDir():
			r, _ := filepath.Rel(root, cur)
			return refusef("%s in the destination is a file, not a directory", r)
		}
	}
	return nil
}

// renameNoDir moves src to dst unless dst is a directory (which the rename
// would fail on anyway, with a less clear error).
func renameNoDir(src, dst string) error {
	if fi, err := os.Lstat(dst); err == nil && fi.IsDir() {
		return fmt.Errorf("%s exists and is a directory", dst)
	}
	return os.Rename(src, dst)
}
