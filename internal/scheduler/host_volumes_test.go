package scheduler_test

import (
	"fmt"
	"testing"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

const reasonVolumes = "missing compatible host volumes"

// volumeCluster stores len(vols) nodes, node-00i offering the host volumes
// of vols[i] (name -> read-only).
func volumeCluster(vols ...map[string]bool) *schedtest.Harness {
	h := schedtest.New()
	for i, n := range schedtest.Nodes(len(vols)) {
		for name, ro := range vols[i] {
			if n.HostVolumes == nil {
				n.HostVolumes = map[string]*drover.ClientHostVolumeConfig{}
			}
			n.HostVolumes[name] = &drover.ClientHostVolumeConfig{Name: name, Path: "/srv/" + name, ReadOnly: ro}
		}
		h.UpsertNode(n)
	}
	return h
}

func volumeJob(id string, count int, req *drover.VolumeRequest) *drover.Job {
	job := schedtest.Job(id, count)
	req.Name, req.Type = "vol", "host"
	job.TaskGroups[0].Volumes = map[string]*drover.VolumeRequest{"vol": req}
	return job
}

func TestHostVolumePlacement(t *testing.T) {
	tests := []struct {
		name     string
		nodes    []map[string]bool
		req      drover.VolumeRequest
		count    int
		allowed  []string // nodes that may be chosen
		placed   int
		filtered int // nodes counted under the reason in the failure, if any
	}{
		{"present", []map[string]bool{{"certs": true}, {"certs": false}, {}},
			drover.VolumeRequest{Source: "certs", ReadOnly: true}, 4, []string{"node-000", "node-001"}, 4, 0},
		{"absent everywhere", []map[string]bool{{"certs": true}, {"other": false}},
			drover.VolumeRequest{Source: "nope", ReadOnly: true}, 2, nil, 0, 2},
		{"writable request skips a read-only volume", []map[string]bool{{"certs": true}, {"certs": false}, {}},
			drover.VolumeRequest{Source: "certs"}, 3, []string{"node-001"}, 3, 0},
		{"writable request with only read-only volumes", []map[string]bool{{"certs": true}, {"certs": true}},
			drover.VolumeRequest{Source: "certs"}, 1, nil, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := volumeCluster(tt.nodes...)
			req := tt.req
			job := volumeJob("vj", tt.count, &req)
			h.UpsertJob(job)
			ev := process(t, h, job)
			live := h.LiveAllocs(job.Namespace, job.ID)
			if len(live) != tt.placed {
				t.Fatalf("placed %d, want %d (failed %+v)", len(live), tt.placed, ev.FailedTGAllocs["web"])
			}
			allowed := map[string]bool{}
			for _, id := range tt.allowed {
				allowed[id] = true
			}
			for _, a := range live {
				if !allowed[a.NodeID] {
					t.Errorf("%s placed on %s, want one of %v", a.Name, a.NodeID, tt.allowed)
				}
			}
			m := ev.FailedTGAllocs["web"]
			if tt.filtered == 0 {
				if m != nil {
					t.Fatalf("unexpected failure %+v", m)
				}
				return
			}
			if m == nil || m.ConstraintFiltered[reasonVolumes] != tt.filtered || m.NodesFiltered != tt.filtered {
				t.Fatalf("metric %+v, want %d nodes under %q", m, tt.filtered, reasonVolumes)
			}
		})
	}
}

// TestHostVolumePerAlloc: with per_alloc, allocation N needs the volume
// "<source>[N]", so each allocation lands where its own volume is, and one
// whose volume is missing (or read-only for a writer) fails.
func TestHostVolumePerAlloc(t *testing.T) {
	h := volumeCluster(
		map[string]bool{"data[1]": false},
		map[string]bool{"data[0]": false, "data": false},
		map[string]bool{"data[2]": true},
	)
	job := volumeJob("pa", 3, &drover.VolumeRequest{Source: "data", PerAlloc: true})
	h.UpsertJob(job)
	ev := process(t, h, job)
	want := map[string]string{"pa.web[0]": "node-001", "pa.web[1]": "node-000"}
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 2 {
		t.Fatalf("placed %v, want [0] and [1] only", names(live))
	}
	for _, a := range live {
		if want[a.Name] != a.NodeID {
			t.Errorf("%s on %s, want %s", a.Name, a.NodeID, want[a.Name])
		}
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered[reasonVolumes] != 3 || ev.QueuedAllocations["web"] != 1 {
		t.Fatalf("metric %+v queued %v: want [2] filtered on all 3 nodes (data[2] is read-only)", m, ev.QueuedAllocations)
	}

	// Read-only, [2] fits node-002.
	ro := volumeJob("ro", 3, &drover.VolumeRequest{Source: "data", PerAlloc: true, ReadOnly: true})
	h.UpsertJob(ro)
	if ev := process(t, h, ro); len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("read-only per_alloc failed: %+v", ev.FailedTGAllocs["web"])
	}
	for _, a := range h.LiveAllocs(ro.Namespace, ro.ID) {
		if wantNode := fmt.Sprintf("node-00%d", []int{1, 0, 2}[a.Index()]); a.NodeID != wantNode {
			t.Errorf("%s on %s, want %s", a.Name, a.NodeID, wantNode)
		}
	}
}

// TestHostVolumeSystemJob: a system job runs only on the nodes that offer
// its volume.
func TestHostVolumeSystemJob(t *testing.T) {
	h := volumeCluster(map[string]bool{"logs": false}, map[string]bool{}, map[string]bool{"logs": false})
	job := volumeJob("sys", 1, &drover.VolumeRequest{Source: "logs", ReadOnly: true})
	job.Type = drover.JobTypeSystem
	h.UpsertJob(job)
	process(t, h, job)
	got := perNode(h.LiveAllocs(job.Namespace, job.ID))
	if len(got) != 2 || got["node-000"] != 1 || got["node-002"] != 1 {
		t.Fatalf("system job placed %v, want one on node-000 and node-002", got)
	}
}

// TestHostVolumePerAllocFailureDoesNotStopOtherIndexes: with per_alloc each
// allocation asks for its own volume, so one index failing says nothing of
// the next. The placements after a group's first failure used to be
// counted as failed without being tried, which left [1] to [3] unplaced
// because data[0] was missing.
func TestHostVolumePerAllocFailureDoesNotStopOtherIndexes(t *testing.T) {
	h := volumeCluster(
		map[string]bool{"data[1]": false},
		map[string]bool{"data[2]": false},
		map[string]bool{"data[3]": false},
	)
	job := volumeJob("pa", 4, &drover.VolumeRequest{Source: "data", PerAlloc: true})
	h.UpsertJob(job)
	ev := process(t, h, job)
	live := h.LiveAllocs(job.Namespace, job.ID)
	if len(live) != 3 {
		t.Fatalf("placed %v, want [1], [2] and [3]", names(live))
	}
	for _, a := range live {
		if want := fmt.Sprintf("node-00%d", a.Index()-1); a.NodeID != want {
			t.Errorf("%s on %s, want %s", a.Name, a.NodeID, want)
		}
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.CoalescedFailures != 0 || ev.QueuedAllocations["web"] != 1 {
		t.Fatalf("metric %+v queued %v: want [0] alone failed", m, ev.QueuedAllocations)
	}
}
