package client

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/client/allocrunner"
	"github.com/drover-sh/drover/internal/logfile"
)

// AllocLogs returns a reader of a task's stdout or stderr across its
// rotated files, from offset counted from origin ("start" or "end"). With
// follow it keeps reading new output until ctx is done. An unknown
// allocation or task is a drover.ErrNotFound; a stream other than "stdout"
// or "stderr", or a bad origin or offset, is a drover.ErrInvalid.
func (c *Client) AllocLogs(ctx context.Context, allocID, task, stream, origin string, offset int64, follow bool) (io.ReadCloser, error) {
	if stream != "stdout" && stream != "stderr" {
		return nil, drover.Errorf(drover.ErrInvalid, "log type %q: must be stdout or stderr", stream)
	}
	c.mu.Lock()
	ar := c.runners[allocID]
	c.mu.Unlock()
	if ar == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	if !ar.HasTask(task) {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s has no task %q", allocID, task)
	}
	dir := allocrunner.LogDir(ar.AllocDir())
	var r *logfile.Reader
	var err error
	if follow {
		r, err = logfile.NewFollowReader(ctx, dir, task, stream, origin, offset, 0)
	} else {
		r, err = logfile.NewReader(dir, task, stream, origin, offset)
	}
	if err != nil {
		return nil, fmt.Errorf("alloc %s task %s %s logs: %w", drover.ShortID(allocID), task, stream, err)
	}
	return r, nil
}

// newLogWatcher starts the watcher that wakes the tasks' log rotation at
// their writes. Where inotify is not available (or its instances are used
// up), logs are checked every LogRotateInterval only, and a task writing
// fast may exceed its bound by what it writes in one interval.
func newLogWatcher(logger *slog.Logger) *logfile.Watcher {
	w, err := logfile.NewWatcher()
	if err != nil {
		logger.Warn("task logs are checked for rotation at intervals only", "error", err)
		return nil
	}
	return w
}
