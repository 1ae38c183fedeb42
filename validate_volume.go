package drover

import (
	"slices"
	"strings"
)

// Host volume access and attachment modes a job file may name, as Nomad
// accepts them. drover's host volumes are directories on the client: the
// modes do not change placement, only read_only does.
var (
	hostVolumeAccessModes     = []string{"single-node-reader-only", "single-node-writer", "single-node-single-writer", "single-node-multi-writer"}
	hostVolumeAttachmentModes = []string{"file-system", "block-device"}
)

// validateHost checks the fields of a host volume request beyond type and
// source: the modes, when given, must be ones Nomad knows for host volumes.
func (v *VolumeRequest) validateHost(p problems) {
	if v.AccessMode != "" && !slices.Contains(hostVolumeAccessModes, v.AccessMode) {
		p.addf("access_mode %q is unknown for a host volume: expected one of %s", v.AccessMode, strings.Join(hostVolumeAccessModes, ", "))
	}
	if v.AttachmentMode != "" && !slices.Contains(hostVolumeAttachmentModes, v.AttachmentMode) {
		p.addf("attachment_mode %q is unknown for a host volume: expected one of %s", v.AttachmentMode, strings.Join(hostVolumeAttachmentModes, ", "))
	}
}
