// Package allocfs serves the files of one allocation directory to readers
// outside the allocation (drover alloc fs, /v1/client/fs/*) without ever
// leaving that directory: every path is resolved component by component,
// a symlink is followed only while it stays inside, and every open goes
// through an os.Root, so a task that swaps a directory for a symlink while
// a request is served still cannot lead it out. Files under a task's
// secrets/ directory are listed but never read.
package allocfs
