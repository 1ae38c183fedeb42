package api

import (
	"context"
	"io"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocfs"
)

func (f *fakeClient) AllocFileList(allocID, path string) ([]*drover.AllocFileInfo, error) {
	return allocfs.New(f.AllocDir).List(path)
}

func (f *fakeClient) AllocFileStat(allocID, path string) (*drover.AllocFileInfo, error) {
	return allocfs.New(f.AllocDir).Stat(path)
}

func (f *fakeClient) AllocFileReadAt(allocID, path string, offset, limit int64) (io.ReadCloser, error) {
	return allocfs.New(f.AllocDir).ReadAt(path, offset, limit)
}

func (f *fakeClient) AllocFileStream(ctx context.Context, allocID, path, origin string, offset int64, follow bool) (io.ReadCloser, int64, error) {
	s, err := allocfs.New(f.AllocDir).Stream(ctx, path, origin, offset, follow, 0)
	if err != nil {
		return nil, 0, err
	}
	return s, s.Start(), nil
}

func (f *fakeClient) CollectAllGarbage() (int, error) {
	f.GCs++
	return 0, nil
}

func (f *fakeClient) CollectAllocGarbage(allocID string) error {
	f.GCs++
	return nil
}
