package client

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/internal/fakedriver"
)

// TestAllocFiles reads a running allocation's directory through the
// client, and refuses what lies outside it or belongs to another client.
func TestAllocFiles(t *testing.T) {
	srv := newFakeServer()
	c := startClient(t, srv, fakedriver.New("fake"), nil)
	defer c.stop(t)
	waitFor(t, "register", func() bool { r, _, _ := srv.counts(); return r == 1 })
	a := testAlloc(c.NodeID(), drover.JobTypeService, map[string]any{"stdout": "hello\n"})
	srv.upsertAlloc(a)
	waitFor(t, "running", func() bool { return srv.alloc(a.ID).ClientStatus == drover.AllocClientStatusRunning })
	dir := filepath.Join(c.cfg.AllocDir, a.ID)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "web/local/passwd")); err != nil {
		t.Fatal(err)
	}

	ls, err := c.AllocFileList(a.ID, "/")
	if err != nil || len(ls) != 2 || ls[0].Name != "alloc" || ls[1].Name != "web" {
		t.Fatalf("List / = %+v, %v", ls, err)
	}
	fi, err := c.AllocFileStat(a.ID, "alloc/logs/web.stdout")
	if err != nil || fi.Size != 6 {
		t.Fatalf("Stat = %+v, %v", fi, err)
	}
	rc, err := c.AllocFileReadAt(a.ID, "alloc/logs/web.stdout", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "ll" {
		t.Errorf("ReadAt = %q", b)
	}
	rc, start, err := c.AllocFileStream(context.Background(), a.ID, "alloc/logs/web.stdout", "end", 3, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(rc)
	rc.Close()
	if string(b) != "lo\n" || start != 3 {
		t.Errorf("Stream = %q from %d", b, start)
	}
	for _, tt := range []struct {
		alloc, path string
		want        error
	}{
		{"nope", "/", drover.ErrNotFound},
		{a.ID, "../..", drover.ErrInvalid},
		{a.ID, "web/local/passwd", drover.ErrInvalid},
		{a.ID, "web/secrets/x/../..", drover.ErrNotFound}, // resolved step by step, as the kernel does
		{a.ID, "alloc/../web/secrets", drover.ErrInvalid}, // a directory: cannot be read
	} {
		if _, err := c.AllocFileReadAt(tt.alloc, tt.path, 0, -1); !errors.Is(err, tt.want) {
			t.Errorf("ReadAt(%s, %s) = %v, want %v", tt.alloc, tt.path, err, tt.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "web/secrets/token"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.AllocFileStream(context.Background(), a.ID, "web/secrets/token", "", 0, false); !errors.Is(err, drover.ErrPermission) {
		t.Errorf("Stream of a secret = %v", err)
	}
}
