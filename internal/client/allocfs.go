package client

import (
	"context"
	"io"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocfs"
)

// allocFS returns the file view of a local allocation's directory. An
// allocation this client does not run (or has collected) is a
// drover.ErrNotFound.
func (c *Client) allocFS(allocID string) (*allocfs.Dir, error) {
	c.mu.Lock()
	ar := c.runners[allocID]
	c.mu.Unlock()
	if ar == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	return allocfs.New(ar.AllocDir()), nil
}

// AllocFileList lists a directory of an allocation's directory (see
// allocfs.Dir.List): symlinks are shown as links, a path that leads outside
// the directory is a drover.ErrInvalid.
func (c *Client) AllocFileList(allocID, path string) ([]*drover.AllocFileInfo, error) {
	d, err := c.allocFS(allocID)
	if err != nil {
		return nil, err
	}
	return d.List(path)
}

// AllocFileStat describes a file of an allocation's directory; a symlink is
// described as itself.
func (c *Client) AllocFileStat(allocID, path string) (*drover.AllocFileInfo, error) {
	d, err := c.allocFS(allocID)
	if err != nil {
		return nil, err
	}
	return d.Stat(path)
}

// AllocFileReadAt returns a reader of at most limit bytes (all with limit <
// 0) of a file of an allocation's directory from offset. Files in a task's
// secrets/ are a drover.ErrPermission.
func (c *Client) AllocFileReadAt(allocID, path string, offset, limit int64) (io.ReadCloser, error) {
	d, err := c.allocFS(allocID)
	if err != nil {
		return nil, err
	}
	return d.ReadAt(path, offset, limit)
}

// AllocFileStream returns a reader of a file of an allocation's directory
// from offset counted from origin ("start" or "end"), and the file offset
// of its first byte. With follow it keeps returning what is appended until
// ctx is done.
func (c *Client) AllocFileStream(ctx context.Context, allocID, path, origin string, offset int64, follow bool) (io.ReadCloser, int64, error) {
	d, err := c.allocFS(allocID)
	if err != nil {
		return nil, 0, err
	}
	s, err := d.Stream(ctx, path, origin, offset, follow, 0)
	if err != nil {
		return nil, 0, err
	}
	return s, s.Start(), nil
}
