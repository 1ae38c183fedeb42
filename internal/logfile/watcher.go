package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Watcher tells rotators at once when their live files are written, so
// that a task writing faster than the rotation interval allows is rotated
// as it goes rather than at the next tick, and its logs stay near their
// bound. One Watcher — one inotify instance, of which a user gets few
// (fs.inotify.max_user_instances, 128 by default) — serves every rotator of
// a client: it watches each log directory once and hands each write event
// to the rotator of the file written.
//
// A Watcher is safe for concurrent use. Its zero value is not usable; call
// NewWatcher.
type Watcher struct {
	// f is the inotify descriptor, non-blocking so that Close ends loop's
	// Read; fd is its number for the watch calls (f.Fd would make it
	// blocking).
	f  *os.File
	fd int

	mu     sync.Mutex
	closed bool
	dirs   map[string]*watchedDir // by directory path
	wds    map[int32]*watchedDir  // by watch descriptor
	done   chan struct{}          // closed when loop returns
}

type watchedDir struct {
	path  string
	wd    int32
	files map[string][]chan struct{} // base name → subscribers
}

// NewWatcher starts a watcher. It fails where inotify is not available or
// the user has used up its inotify instances; rotators then rely on their
// interval alone.
func NewWatcher() (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("log watcher: inotify: %w", err)
	}
	w := &Watcher{
		f:    os.NewFile(uintptr(fd), "inotify"),
		fd:   fd,
		dirs: map[string]*watchedDir{},
		wds:  map[int32]*watchedDir{},
		done: make(chan struct{}),
	}
	go w.loop()
	return w, nil
}

// Watch returns a channel that receives a value (coalesced: at most one
// pending) whenever the file at path is written or created, and a
// function that stops the notifications. The file need not exist yet; its
// directory must.
func (w *Watcher) Watch(path string) (<-chan struct{}, func(), error) {
	dir, base := filepath.Split(filepath.Clean(path))
	dir = filepath.Clean(dir)
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, nil, errors.New("log watcher: closed")
	}
	d := w.dirs[dir]
	if d == nil {
		wd, err := unix.InotifyAddWatch(w.fd, dir, unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO)
		if err != nil {
			return nil, nil, fmt.Errorf("log watcher: watch %s: %w", dir, err)
		}
		d = &watchedDir{path: dir, wd: int32(wd), files: map[string][]chan struct{}{}}
		w.dirs[dir], w.wds[d.wd] = d, d
	}
	d.files[base] = append(d.files[base], ch)
	stop := func() { w.unwatch(d, base, ch) }
	return ch, stop, nil
}

func (w *Watcher) unwatch(d *watchedDir, base string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	subs := d.files[base]
	for i, c := range subs {
		if c == ch {
			subs = append(subs[:i], subs[i+1:]...)
			break
		}
	}
	if len(subs) > 0 {
		d.files[base] = subs
		return
	}
	delete(d.files, base)
	if len(d.files) == 0 && w.dirs[d.path] == d && !w.closed {
		// The directory may be gone already (the kernel then dropped the
		// watch itself): nothing to report.
		_, _ = unix.InotifyRmWatch(w.fd, uint32(d.wd))
		delete(w.dirs, d.path)
		delete(w.wds, d.wd)
	}
}

// Close stops the watcher; channels handed out receive nothing more.
func (w *Watcher) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	err := w.f.Close()
	<-w.done
	return err
}

// loop reads inotify events until the descriptor is closed and wakes the
// subscribers of each file written. A queue overflow wakes everyone.
func (w *Watcher) loop() {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			return
		}
		w.dispatch(buf[:n])
	}
}

func (w *Watcher) dispatch(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			return
		}
		name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:end], "\x00"))
		b = b[end:]
		switch {
		case ev.Mask&unix.IN_Q_OVERFLOW != 0:
			for _, d := range w.dirs {
				for _, subs := range d.files {
					wake(subs)
				}
			}
		case ev.Mask&unix.IN_IGNORED != 0:
			// The directory went away: its watch is gone.
			if d := w.wds[ev.Wd]; d != nil {
				delete(w.wds, ev.Wd)
				if w.dirs[d.path] == d {
					delete(w.dirs, d.path)
				}
			}
		default:
			if d := w.wds[ev.Wd]; d != nil {
				wake(d.files[name])
			}
		}
	}
}

func wake(subs []chan struct{}) {
	for _, c := range subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}
