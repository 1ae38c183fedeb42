package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	drover "github.com/drover-sh/drover"
)

// HostVolume is a directory of the host the client offers to jobs, written
// client { host_volume "certs" { path = "/etc/ssl/certs" read_only = true } }.
// A group asks for it with volume "x" { type = "host" source = "certs" }
// and is placed only on clients that offer a volume of that name.
type HostVolume struct {
	// Name is what a group's volume block names as its source.
	Name string `hcl:"name,label"`
	// Path is the absolute path of the directory. It must exist and be a
	// directory when the agent starts.
	Path string `hcl:"path"`
	// ReadOnly offers the volume read-only: only volume requests with
	// read_only = true are placed on it.
	ReadOnly bool `hcl:"read_only,optional"`
}

// mergeHostVolumes overlays vols onto the client's host volumes: a volume
// of a name already configured (by an earlier file) is replaced, the others
// are added. Names repeated within vols are all kept, for Validate to
// report.
func (c *Client) mergeHostVolumes(vols []*HostVolume) {
	before := make(map[string]int, len(c.HostVolumes))
	for i, v := range c.HostVolumes {
		before[v.Name] = i
	}
	for _, v := range vols {
		if i, ok := before[v.Name]; ok {
			c.HostVolumes[i] = v
			continue
		}
		c.HostVolumes = append(c.HostVolumes, v)
	}
}

// validateHostVolumes reports host volumes without a name or an absolute
// path, and names declared twice in one file. Whether the path exists is
// checked at agent start (CheckHostVolumePaths), since a configuration may
// be validated on another machine.
func (c *Client) validateHostVolumes(add func(format string, args ...any)) {
	seen := map[string]bool{}
	for _, v := range c.HostVolumes {
		if v.Name == "" {
			add("client.host_volume with path %q has an empty name", v.Path)
		}
		if seen[v.Name] {
			add("client.host_volume %q is declared more than once", v.Name)
		}
		seen[v.Name] = true
		switch {
		case v.Path == "":
			add("client.host_volume %q: path is required", v.Name)
		case !filepath.IsAbs(v.Path):
			add("client.host_volume %q: path %q is not absolute", v.Name, v.Path)
		}
	}
}

// CheckHostVolumePaths checks that every host volume's path exists and is a
// directory, naming the volume in the error. The agent calls it before it
// starts a client, so a typo fails the start instead of leaving jobs that
// cannot be placed.
func CheckHostVolumePaths(vols []*HostVolume) error {
	var errs []error
	for _, v := range vols {
		fi, err := os.Stat(v.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("client.host_volume %q: path %s does not exist", v.Name, v.Path))
		case err != nil:
			errs = append(errs, fmt.Errorf("client.host_volume %q: %w", v.Name, err))
		case !fi.IsDir():
			errs = append(errs, fmt.Errorf("client.host_volume %q: path %s is not a directory", v.Name, v.Path))
		}
	}
	return errors.Join(errs...)
}

// NodeHostVolumes returns the client's host volumes in the form the node
// registers them, by name; nil when there are none.
func (c *Client) NodeHostVolumes() map[string]*drover.ClientHostVolumeConfig {
	if len(c.HostVolumes) == 0 {
		return nil
	}
	out := make(map[string]*drover.ClientHostVolumeConfig, len(c.HostVolumes))
	for _, v := range c.HostVolumes {
		out[v.Name] = &drover.ClientHostVolumeConfig{Name: v.Name, Path: filepath.Clean(v.Path), ReadOnly: v.ReadOnly}
	}
	return out
}
