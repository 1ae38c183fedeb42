package api

import (
	"errors"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

// AllocStats answers from Stats; nil: no allocation is on this client.
func (f *fakeClient) AllocStats(allocID string) (*drover.AllocResourceUsage, error) {
	if f.Stats == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", allocID)
	}
	return f.Stats(allocID)
}

func TestAllocStats(t *testing.T) {
	usage := &drover.AllocResourceUsage{
		ResourceUsage: &drover.ResourceUsage{MemoryStats: &drover.MemoryStats{RSS: 5 << 20, Measured: []string{"RSS"}}},
		Tasks: map[string]*drover.TaskResourceUsage{"web": {Timestamp: 42, ResourceUsage: &drover.ResourceUsage{
			CpuStats: &drover.CpuStats{Percent: 12.5, TotalTicks: 250, Measured: []string{"Percent"}}}}},
		Timestamp: 42,
	}
	client := &fakeClient{Stats: func(id string) (*drover.AllocResourceUsage, error) {
		switch id {
		case "a/b":
			return usage, nil
		case "done":
			return nil, drover.Errorf(drover.ErrConflict, "allocation done is complete")
		}
		return nil, drover.Errorf(drover.ErrNotFound, "allocation %s is not on this client", id)
	}}
	rpc := &testutil.FakeRPC{AllocGetAlloc: func(*drover.AllocSpecificRequest, *drover.SingleAllocResponse) error { return nil }}
	c := newTestClient(t, rpc, client, nil)
	got, err := c.Allocations().Stats("a/b", nil) // the ID is escaped in the path
	if err != nil {
		t.Fatal(err)
	}
	if got.Timestamp != 42 || got.ResourceUsage.MemoryStats.RSS != 5<<20 || got.Tasks["web"].ResourceUsage.CpuStats.TotalTicks != 250 {
		t.Fatalf("Stats = %+v", got)
	}
	if _, err := c.Allocations().Stats("done", nil); !errors.Is(err, drover.ErrConflict) {
		t.Errorf("Stats(finished) = %v, want ErrConflict", err)
	}
	if _, err := c.Allocations().Stats("nope", nil); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("Stats(unknown) = %v, want ErrNotFound", err)
	}
}
