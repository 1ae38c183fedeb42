package drover

import "time"

// AllocFileInfo describes one file or directory of an allocation directory,
// in the shape of Nomad's /v1/client/fs/ls and /v1/client/fs/stat answers.
type AllocFileInfo struct {
	// Name is the entry's base name.
	Name string
	// IsDir reports a directory (a symlink to one is not: it is shown as
	// the link it is).
	IsDir bool
	// Size in bytes; for a symlink, the length of its target.
	Size int64
	// FileMode is the mode as ls prints it: "-rw-r--r--", "drwxr-xr-x",
	// "Lrwxrwxrwx" for a symlink.
	FileMode string
	// ModTime is the last modification time.
	ModTime time.Time
	// ContentType is the detected MIME type of a regular file's first
	// bytes, as stat reports it; "" for directories, links, secrets and in
	// listings.
	ContentType string `json:",omitempty"`
}
