package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"os/user"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// execCmd is os/exec's Cmd; this package's name hides os/exec's.
type execCmd = osexec.Cmd

// checkChrootEntry refuses chroot_env entries that are not absolute, or
// whose destination would leave the task root or cover one of the task's
// own directories.
func checkChrootEntry(src, dst string) error {
	if !path.IsAbs(src) || !path.IsAbs(dst) {
		return fmt.Errorf("%q = %q: both paths must be absolute", src, dst)
	}
	clean := path.Clean(dst)
	if clean == "/" || strings.HasPrefix(clean, "/..") {
		return fmt.Errorf("%q = %q: the destination must be a directory below /", src, dst)
	}
	top := strings.SplitN(strings.TrimPrefix(clean, "/"), "/", 2)[0]
	switch top {
	case "alloc", "local", "secrets", "tmp", "proc", "dev":
		return fmt.Errorf("%q = %q: /%s is the task's own", src, dst, top)
	}
	return nil
}

// mountsOf lists chroot_env as bind mounts, parents before children.
func mountsOf(env map[string]string) []bindMount {
	out := make([]bindMount, 0, len(env))
	for src, dst := range env {
		out = append(out, bindMount{Source: src, Dest: path.Clean(dst)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dest < out[j].Dest })
	return out
}

// prepare runs in the init, in the task's namespaces: it builds the task's
// root and returns the command to start in it. notFound marks a missing
// command.
func prepare(s *initSpec) (cmd *execCmd, notFound bool, err error) {
	if !filepath.IsAbs(s.Root) {
		return nil, false, fmt.Errorf("task root %q is not absolute", s.Root)
	}
	// Nothing mounted here may reach the host's mount table.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, false, fmt.Errorf("make mounts private: %w", err)
	}
	if s.Hostname != "" {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return nil, false, fmt.Errorf("set hostname: %w", err)
		}
	}
	uid, gid, err := lookupUser(s.User)
	if err != nil {
		return nil, false, err
	}
	if err := buildRoot(s, uid, gid); err != nil {
		return nil, false, err
	}
	inRoot, err := findCommand(s.Root, s.Command, envPath(s.Env))
	if err != nil {
		return nil, true, err
	}
	cmd = &execCmd{
		Path:   inRoot,
		Args:   append([]string{s.Command}, s.Args...),
		Env:    s.Env,
		Dir:    "/",
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Chroot: s.Root,
			Setsid: true,
		},
	}
	if uid != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	}
	return cmd, false, nil
}

// lookupUser resolves a user name (or numeric uid) on the host, whose
// /etc/passwd the task sees too.
func lookupUser(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		var uerr error
		if u, uerr = user.LookupId(name); uerr != nil {
			return 0, 0, fmt.Errorf("task user %q: %w", name, err)
		}
	}
	if uid, err = strconv.Atoi(u.Uid); err != nil {
		return 0, 0, fmt.Errorf("task user %q: uid %q: %w", name, u.Uid, err)
	}
	if gid, err = strconv.Atoi(u.Gid); err != nil {
		return 0, 0, fmt.Errorf("task user %q: gid %q: %w", name, u.Gid, err)
	}
	return uid, gid, nil
}

// buildRoot mounts the task's filesystem under s.Root.
func buildRoot(s *initSpec, uid, gid int) error {
	for _, m := range s.Mounts {
		if err := bindReadOnly(m.Source, filepath.Join(s.Root, m.Dest)); err != nil {
			return err
		}
	}
	shared := filepath.Join(s.AllocDir, "alloc")
	if _, err := os.Stat(shared); err == nil {
		if err := bind(shared, filepath.Join(s.Root, "alloc"), 0); err != nil {
			return err
		}
		// The group's tasks may run as different users: its shared
		// data/ and tmp/ are writable by all, sticky as /tmp is.
		for _, d := range []string{"data", "tmp"} {
			if err := os.Chmod(filepath.Join(shared, d), 0o777|os.ModeSticky); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("alloc/%s: %w", d, err)
			}
		}
	}
	// The task's own directories belong to the task's user: secrets/ is
	// 0700, so nobody else could read it.
	for _, d := range []string{"local", "secrets", "tmp"} {
		p := filepath.Join(s.Root, d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return fmt.Errorf("task dir %s: %w", d, err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			return fmt.Errorf("task dir %s: %w", d, err)
		}
	}
	if err := mountProc(filepath.Join(s.Root, "proc")); err != nil {
		return err
	}
	return buildDev(filepath.Join(s.Root, "dev"))
}

// bindReadOnly binds a host path read-only at target; a source missing on
// this host is skipped (chroot_env lists what distributions may have).
func bindReadOnly(src, target string) error {
	err := bind(src, target, unix.MS_RDONLY)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// bind bind-mounts src at target, creating target like src (a directory
// or an empty file), then remounts it with flags (a bind takes the
// read-only flag only on a remount).
func bind(src, target string, flags uintptr) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("bind %s: %w", src, err)
	}
	if err := makeTarget(target, fi.IsDir()); err != nil {
		return err
	}
	if err := unix.Mount(src, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s at %s: %w", src, target, err)
	}
	if flags != 0 {
		f := unix.MS_BIND | unix.MS_REMOUNT | unix.MS_NOSUID | unix.MS_NODEV | flags
		if err := unix.Mount("", target, "", f, ""); err != nil {
			return fmt.Errorf("remount %s: %w", target, err)
		}
	}
	return nil
}

func makeTarget(target string, dir bool) error {
	if dir {
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("mount point %s: %w", target, err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("mount point %s: %w", target, err)
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return fmt.Errorf("mount point %s: %w", target, err)
	}
	return f.Close()
}

// mountProc mounts a procfs of the task's PID namespace: the task sees
// only its own processes.
func mountProc(target string) error {
	if err := os.MkdirAll(target, 0o555); err != nil {
		return fmt.Errorf("mount point %s: %w", target, err)
	}
	if err := unix.Mount("proc", target, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	return nil
}

// devices are the host devices a task gets: harmless ones only.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// buildDev gives the task a /dev of its own: a small tmpfs holding binds
// of the harmless devices, /dev/shm and the usual links.
func buildDev(dev string) error {
	if err := os.MkdirAll(dev, 0o755); err != nil {
		return fmt.Errorf("mount point %s: %w", dev, err)
	}
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=64k"); err != nil {
		return fmt.Errorf("mount /dev: %w", err)
	}
	for _, d := range devices {
		if err := bind("/dev/"+d, filepath.Join(dev, d), 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	shm := filepath.Join(dev, "shm")
	if err := os.MkdirAll(shm, 0o1777); err != nil {
		return fmt.Errorf("mount point %s: %w", shm, err)
	}
	if err := unix.Mount("shm", shm, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return fmt.Errorf("mount /dev/shm: %w", err)
	}
	for name, to := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(to, filepath.Join(dev, name)); err != nil {
			return fmt.Errorf("/dev/%s: %w", name, err)
		}
	}
	return nil
}

func envPath(env []string) string {
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			return p
		}
	}
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

// findCommand returns command's path inside root: an absolute path as is,
// a path with a slash relative to the task's /, a bare name from the
// task's / (its directory) or else from PATH. It checks the file through
// the host's view of root, where the task's mounts are already in place.
func findCommand(root, command, pathList string) (string, error) {
	if strings.Contains(command, "/") {
		p := path.Join("/", command)
		return p, checkExec(root, command, p)
	}
	if checkExec(root, command, "/"+command) == nil {
		return "/" + command, nil
	}
	for _, dir := range filepath.SplitList(pathList) {
		if !path.IsAbs(dir) {
			continue
		}
		p := path.Join(dir, command)
		if checkExec(root, command, p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q not found in the task's filesystem (PATH %s)", command, pathList)
}

func checkExec(root, command, inRoot string) error {
	fi, err := statInRoot(root, inRoot)
	switch {
	case err != nil:
		return fmt.Errorf("command %q: %s: %w", command, inRoot, err)
	case fi.IsDir():
		return fmt.Errorf("command %q: %s is a directory", command, inRoot)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("command %q: %s is not executable", command, inRoot)
	}
	return nil
}

// statInRoot stats p as the task will see it: symlinks are followed
// inside root (an absolute link target is relative to root), never out
// of it.
func statInRoot(root, p string) (fs.FileInfo, error) {
	cur := p
	for range 40 {
		host := filepath.Join(root, cur)
		fi, err := os.Lstat(host)
		if err != nil {
			return nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return os.Stat(host) // follows nothing further: not a link
		}
		to, err := os.Readlink(host)
		if err != nil {
			return nil, err
		}
		if path.IsAbs(to) {
			cur = path.Clean(to)
		} else {
			cur = path.Join(path.Dir(cur), to)
		}
	}
	return nil, fmt.Errorf("%s: too many levels of symbolic links", p)
}
