// Package allocfs serves the files of one allocation directory to readers
// outside the allocation (drover alloc fs, /v1/client/fs/*) without ever
// leaving that directory: every path is resolved component by component,
// a symlink is followed only while it stays inside, and the open of the
// resolved path refuses any symlink on the way (openat2), so a task that
// swaps a directory for a symlink while a request is served cannot lead it
// out or into a secret. Files under a task's secrets/ directory are listed
// but never read.
package allocfs
