package httpapi

import (
	"context"
	"io"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocfs"
)

func (f *fakeClient) dir(allocID string) (*allocfs.Dir, error) {
	if f.AllocDir == "" {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	return allocfs.New(f.AllocDir), nil
}

func (f *fakeClient) AllocFileList(allocID, path string) ([]*drover.AllocFileInfo, error) {
	d, err := f.dir(allocID)
	if err != nil {
		return nil, err
	}
	return d.List(path)
}

func (f *fakeClient) AllocFileStat(allocID, path string) (*drover.AllocFileInfo, error) {
	d, err := f.dir(allocID)
	if err != nil {
		return nil, err
	}
	return d.Stat(path)
}

func (f *fakeClient) AllocFileReadAt(allocID, path string, offset, limit int64) (io.ReadCloser, error) {
	d, err := f.dir(allocID)
	if err != nil {
		return nil, err
	}
	return d.ReadAt(path, offset, limit)
}

func (f *fakeClient) AllocFileStream(ctx context.Context, allocID, path, origin string, offset int64, follow bool) (io.ReadCloser, int64, error) {
	d, err := f.dir(allocID)
	if err != nil {
		return nil, 0, err
	}
	s, err := d.Stream(ctx, path, origin, offset, follow, 0)
	if err != nil {
		return nil, 0, err
	}
	return s, s.Start(), nil
}

func (f *fakeClient) CollectAllGarbage() (int, error) {
	if f.GC == nil {
		return 0, nil
	}
	return f.GC()
}

func (f *fakeClient) CollectAllocGarbage(allocID string) error {
	if f.AllocGC == nil {
		return nil
	}
	return f.AllocGC(allocID)
}
