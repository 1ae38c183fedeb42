package server

import (
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func TestHostVolumesEqual(t *testing.T) {
	hv := func(ro bool, path string) *drover.ClientHostVolumeConfig {
		return &drover.ClientHostVolumeConfig{Name: "v", Path: path, ReadOnly: ro}
	}
	type vols = map[string]*drover.ClientHostVolumeConfig
	tests := []struct {
		a, b vols
		want bool
	}{
		{nil, vols{}, true},
		{vols{"v": hv(false, "/a")}, vols{"v": hv(false, "/b")}, true}, // the path does not decide placement
		{vols{"v": hv(false, "/a")}, vols{"v": hv(true, "/a")}, false},
		{vols{"v": hv(false, "/a")}, nil, false},
		{vols{"v": hv(false, "/a")}, vols{"w": hv(false, "/a")}, false},
		{vols{"v": nil}, vols{"v": hv(false, "/a")}, false},
	}
	for i, tt := range tests {
		if got := hostVolumesEqual(tt.a, tt.b); got != tt.want {
			t.Errorf("%d: hostVolumesEqual = %v, want %v", i, got, tt.want)
		}
	}
}

// TestSystemJobFollowsHostVolumes: a system job asking for a host volume
// skips a node without it, and runs there once the node registers again
// offering it.
func TestSystemJobFollowsHostVolumes(t *testing.T) {
	s := newTestServer(t, nil)
	registerNode(t, s, schedtest.Node("n1"))
	job := sysJob("sys")
	job.TaskGroups[0].Volumes = map[string]*drover.VolumeRequest{"certs": {Name: "certs", Type: "host", Source: "certs", ReadOnly: true}}
	registerJob(t, s, job)
	with := schedtest.Node("n2")
	with.HostVolumes = map[string]*drover.ClientHostVolumeConfig{"certs": {Name: "certs", Path: "/etc/ssl/certs"}}
	registerNode(t, s, with)
	waitFor(t, 10*time.Second, "an alloc on the node with the volume", func() bool { return nodesHolding(t, s, "sys")["n2"] == 1 })
	if got := nodesHolding(t, s, "sys"); got["n1"] != 0 {
		t.Fatalf("allocs by node %v: n1 has no certs volume", got)
	}

	n1 := schedtest.Node("n1")
	n1.HostVolumes = map[string]*drover.ClientHostVolumeConfig{"certs": {Name: "certs", Path: "/opt/certs", ReadOnly: true}}
	registerNode(t, s, n1)
	waitFor(t, 10*time.Second, "an alloc on n1 once it offers the volume", func() bool { return nodesHolding(t, s, "sys")["n1"] == 1 })
}
