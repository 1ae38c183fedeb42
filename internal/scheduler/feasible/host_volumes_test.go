package feasible

import (
	"math/rand/v2"
	"slices"
	"testing"

	drover "github.com/drover-sh/drover"
)

func volNode(id string, vols ...*drover.ClientHostVolumeConfig) *drover.Node {
	n := testNode(id)
	n.HostVolumes = map[string]*drover.ClientHostVolumeConfig{}
	for _, v := range vols {
		n.HostVolumes[v.Name] = v
	}
	return n
}

func volGroup(vols map[string]*drover.VolumeRequest) *drover.TaskGroup {
	return &drover.TaskGroup{Name: "g", Volumes: vols,
		Tasks: []*drover.Task{{Name: "t", Driver: "docker", Resources: &drover.Resources{CPU: 10, MemoryMB: 10}}}}
}

func TestHostVolumeCheck(t *testing.T) {
	rw := volNode("rw", &drover.ClientHostVolumeConfig{Name: "certs", Path: "/etc/ssl"}, &drover.ClientHostVolumeConfig{Name: "data", Path: "/data"})
	ro := volNode("ro", &drover.ClientHostVolumeConfig{Name: "certs", Path: "/etc/ssl", ReadOnly: true})
	none := testNode("none")
	host := func(src string, readOnly bool) *drover.VolumeRequest {
		return &drover.VolumeRequest{Type: "host", Source: src, ReadOnly: readOnly}
	}
	tests := []struct {
		name string
		vols map[string]*drover.VolumeRequest
		want map[string]bool // node ID -> accepted
	}{
		{"no volumes", nil, map[string]bool{"rw": true, "ro": true, "none": true}},
		{"read-only request", map[string]*drover.VolumeRequest{"c": host("certs", true)}, map[string]bool{"rw": true, "ro": true, "none": false}},
		{"writable request needs a writable volume", map[string]*drover.VolumeRequest{"c": host("certs", false)}, map[string]bool{"rw": true, "ro": false, "none": false}},
		{"every volume is needed", map[string]*drover.VolumeRequest{"c": host("certs", true), "d": host("data", true)}, map[string]bool{"rw": true, "ro": false, "none": false}},
		{"source, not the group's name for it, is looked up", map[string]*drover.VolumeRequest{"certs": host("data", true)}, map[string]bool{"rw": true, "ro": false, "none": false}},
		{"other types are not host volumes", map[string]*drover.VolumeRequest{"x": {Type: "csi", Source: "nope"}}, map[string]bool{"rw": true, "ro": true, "none": true}},
	}
	for _, tt := range tests {
		check := HostVolumeCheck(volGroup(tt.vols))
		for _, n := range []*drover.Node{rw, ro, none} {
			got := check(n)
			if tt.want[n.ID] && got != "" || !tt.want[n.ID] && got != ReasonHostVolumes {
				t.Errorf("%s on %s: reason %q, accepted want %v", tt.name, n.ID, got, tt.want[n.ID])
			}
		}
	}
}

func TestHostVolumeSource(t *testing.T) {
	if got := HostVolumeSource("data", false, 3); got != "data" {
		t.Errorf("shared: %q", got)
	}
	if got := HostVolumeSource("data", true, 12); got != "data[12]" {
		t.Errorf("per_alloc: %q", got)
	}
}

// TestStackPerAllocVolumes: with per_alloc the node must offer the volume of
// the allocation's own index, so the verdict follows SetAllocIndex.
func TestStackPerAllocVolumes(t *testing.T) {
	nodes := []*drover.Node{
		volNode("n0", &drover.ClientHostVolumeConfig{Name: "data[0]"}),
		volNode("n1", &drover.ClientHostVolumeConfig{Name: "data[1]"}, &drover.ClientHostVolumeConfig{Name: "data"}),
		volNode("n2", &drover.ClientHostVolumeConfig{Name: "data[2]", ReadOnly: true}),
	}
	ctx := NewEvalContext(noAllocs{}, &drover.Job{}, nodes, rand.New(rand.NewPCG(1, 2)))
	st := NewStack(ctx, volGroup(map[string]*drover.VolumeRequest{"d": {Type: "host", Source: "data", PerAlloc: true}}))
	for idx, want := range []string{"n0", "n1", ""} {
		st.SetAllocIndex(idx)
		best, m := st.Select()
		switch {
		case want == "" && best != nil:
			t.Errorf("index %d placed on %s; data[2] is read-only and the request writes", idx, best.Node.ID)
		case want == "" && m.ConstraintFiltered[ReasonHostVolumes] != 3:
			t.Errorf("index %d metric %+v, want 3 nodes filtered for volumes", idx, m)
		case want != "" && (best == nil || best.Node.ID != want):
			t.Errorf("index %d: best %v metric %+v, want %s", idx, best, m, want)
		case want != "" && m.ConstraintFiltered[ReasonHostVolumes] != 2:
			t.Errorf("index %d metric %+v, want the 2 other nodes filtered", idx, m)
		}
	}

	// Without per_alloc the shared name is looked up and memoised.
	ctx = NewEvalContext(noAllocs{}, &drover.Job{}, nodes, rand.New(rand.NewPCG(1, 2)))
	st = NewStack(ctx, volGroup(map[string]*drover.VolumeRequest{"d": {Type: "host", Source: "data"}}))
	var got []string
	for idx := range 2 {
		st.SetAllocIndex(idx) // no effect
		if best, m := st.Select(); best == nil {
			t.Fatalf("shared volume: %+v", m)
		} else {
			got = append(got, best.Node.ID)
		}
	}
	if !slices.Equal(got, []string{"n1", "n1"}) {
		t.Errorf("shared volume placed on %v, want n1 twice", got)
	}
}
