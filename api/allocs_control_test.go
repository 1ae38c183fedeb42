package api

import (
	"errors"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

const controlAllocID = "c0ffee00-0000-0000-0000-000000000001"

// controlRPC knows one allocation on node n1 (the fake client's node) with
// one task, "web".
func controlRPC() *testutil.FakeRPC {
	return &testutil.FakeRPC{
		AllocGetAlloc: func(a *drover.AllocSpecificRequest, r *drover.SingleAllocResponse) error {
			if a.AllocID == controlAllocID {
				r.Alloc = &drover.Allocation{ID: controlAllocID, NodeID: "n1", TaskGroup: "g",
					Job: &drover.Job{ID: "j", TaskGroups: []*drover.TaskGroup{{Name: "g", Tasks: []*drover.Task{{Name: "web"}}}}}}
			}
			return nil
		},
		AllocStop: func(a *drover.AllocStopRequest, r *drover.AllocStopResponse) error {
			if a.AllocID != controlAllocID {
				return drover.Errorf(drover.ErrNotFound, "allocation %s not found", a.AllocID)
			}
			r.EvalID, r.Index = "e9", 9
			return nil
		},
	}
}

func TestAllocStop(t *testing.T) {
	c := newTestClient(t, controlRPC(), nil, nil)
	resp, wm, err := c.Allocations().Stop(controlAllocID)
	if err != nil || resp.EvalID != "e9" || resp.Index != 9 || wm.LastIndex != 9 {
		t.Fatalf("stop: %+v %+v %v", resp, wm, err)
	}
	if _, _, err := c.Allocations().Stop("nope"); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("stop unknown: %v", err)
	}
}

func TestAllocRestartAndSignal(t *testing.T) {
	var got []string
	client := &fakeClient{
		Restart: func(allocID, task string, all bool) error {
			got = append(got, "restart "+allocID+" "+task+map[bool]string{true: " all"}[all])
			return nil
		},
		Signal: func(allocID, task, signal string) error {
			got = append(got, "signal "+allocID+" "+task+" "+signal)
			return nil
		},
	}
	c := newTestClient(t, controlRPC(), client, nil)
	a := c.Allocations()
	for _, err := range []error{a.Restart(controlAllocID, "web"), a.RestartAllTasks(controlAllocID), a.Signal(controlAllocID, "", "SIGUSR1")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"restart " + controlAllocID + " web", "restart " + controlAllocID + "  all", "signal " + controlAllocID + "  SIGUSR1"}
	if len(got) != len(want) {
		t.Fatalf("calls %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d: %q, want %q", i, got[i], want[i])
		}
	}
	if err := a.Restart("nope", ""); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("restart unknown alloc: %v", err)
	}
	if err := a.Restart(controlAllocID, "nope"); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("restart unknown task: %v", err)
	}
	if err := a.Signal(controlAllocID, "web", "SIGNOPE"); !errors.Is(err, drover.ErrInvalid) {
		t.Errorf("bad signal: %v", err)
	}
}
