package api

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestAllocFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "alloc/logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alloc/logs/web.stdout"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "alloc/out")); err != nil {
		t.Fatal(err)
	}
	rpc := &testutil.FakeRPC{AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
		r.Alloc = &drover.Allocation{ID: a.AllocID, NodeID: "n1"}
		return nil
	}}
	fc := &fakeClient{AllocDir: dir}
	fs := newTestClient(t, rpc, fc, nil).AllocFS()
	ctx := context.Background()

	ls, err := fs.List(ctx, "a1", "alloc")
	if err != nil || len(ls) != 2 || ls[0].Name != "logs" || !ls[0].IsDir || ls[1].Name != "out" || ls[1].FileMode[0] != 'L' {
		t.Fatalf("List = %+v, %v", ls, err)
	}
	st, err := fs.Stat(ctx, "a1", "alloc/logs/web.stdout")
	if err != nil || st.Size != 10 || st.ModTime.IsZero() {
		t.Fatalf("Stat = %+v, %v", st, err)
	}
	read := func(rc io.ReadCloser, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(fs.Cat(ctx, "a1", "alloc/logs/web.stdout")); got != "0123456789" {
		t.Errorf("Cat = %q", got)
	}
	if got := read(fs.ReadAt(ctx, "a1", "alloc/logs/web.stdout", 3, 4)); got != "3456" {
		t.Errorf("ReadAt = %q", got)
	}
	if got := read(fs.Stream(ctx, "a1", "alloc/logs/web.stdout", "end", 2, false)); got != "89" {
		t.Errorf("Stream = %q", got)
	}
	if _, err := fs.Cat(ctx, "a1", "alloc/out"); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("Cat of a link out: %v", err)
	}
	if _, err := fs.List(ctx, "a1", "../.."); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("List ../..: %v", err)
	}
	if err := fs.GarbageCollect(ctx); err != nil || fc.GCs != 1 {
		t.Errorf("GarbageCollect: %v, %d calls", err, fc.GCs)
	}
	if err := fs.GarbageCollectAlloc(ctx, "a1"); err != nil || fc.GCs != 2 {
		t.Errorf("GarbageCollectAlloc: %v, %d calls", err, fc.GCs)
	}
}
