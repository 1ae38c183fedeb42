package server

import (
	"maps"

	"github.com/drover-sh/drover"
)

// hostVolumesEqual compares what host volume feasibility reads of a node:
// each volume's name and whether it is read-only. A changed path alone
// does not change where a group may go. No volumes and an empty set are
// equal.
func hostVolumesEqual(a, b map[string]*drover.ClientHostVolumeConfig) bool {
	return maps.EqualFunc(a, b, func(x, y *drover.ClientHostVolumeConfig) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.ReadOnly == y.ReadOnly
	})
}
