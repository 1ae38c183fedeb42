package logfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func waitWake(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no wake for %s", what)
	}
}

func noWake(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("unexpected wake: %s", what)
	default:
	}
}

// A watcher wakes the subscribers of a file when it is created or written,
// not those of its neighbours; a stopped subscription gets nothing more;
// one inotify watch serves a whole directory.
func TestWatcherWakesOnWrite(t *testing.T) {
	w, err := NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "web.stdout")
	errPath := filepath.Join(dir, "web.stderr")
	chOut, stopOut, err1 := w.Watch(out)
	if err1 != nil {
		t.Fatal(err1)
	}
	chErr, stopErr, err := w.Watch(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer stopErr()
	if n := len(w.dirs); n != 1 {
		t.Fatalf("%d directory watches, want 1", n)
	}
	f, err := OpenAppend(out) // created: a wake
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	waitWake(t, chOut, "create")
	if _, err := f.WriteString("hello\n"); err != nil {
		t.Fatal(err)
	}
	waitWake(t, chOut, "write")
	noWake(t, chErr, "stderr was not written")
	stopOut()
	if _, err := f.WriteString("again\n"); err != nil {
		t.Fatal(err)
	}
	g, err := OpenAppend(errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	waitWake(t, chErr, "stderr created")
	noWake(t, chOut, "stdout was unsubscribed")
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}
