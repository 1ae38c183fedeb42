package state

import (
	"errors"
	"slices"
	"testing"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

func TestNodesUpsertReadDelete(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(10, testNode("aaa1")))
	must(t, s.UpsertNode(11, testNode("aab2")))
	must(t, s.UpsertNode(12, testNode("bbb3")))

	n, err := s.NodeByID(nil, "aaa1")
	must(t, err)
	if n == nil || n.CreateIndex != 10 || n.ModifyIndex != 10 || n.SchedulingEligibility != drover.NodeEligible {
		t.Fatalf("NodeByID = %+v", n)
	}
	if n, _ := s.NodeByID(nil, "nope"); n != nil {
		t.Fatalf("absent node = %+v, want nil", n)
	}
	for prefix, want := range map[string][]string{"": {"aaa1", "aab2", "bbb3"}, "aa": {"aaa1", "aab2"}, "b": {"bbb3"}, "c": {}} {
		got, err := s.NodesByIDPrefix(nil, prefix)
		must(t, err)
		if ids := ids(got, func(n *drover.Node) string { return n.ID }); !slices.Equal(ids, want) {
			t.Errorf("prefix %q: %v, want %v", prefix, ids, want)
		}
	}

	// The operator's eligibility survives the client's re-registration.
	inel := testNode("aaa1")
	inel.SchedulingEligibility = drover.NodeIneligible
	inel.CreateIndex = 10
	s.write(func(txn *memdb.Txn) error { return txn.Insert(TableNodes, inel) })
	must(t, s.UpsertNode(13, testNode("aaa1")))
	n, _ = s.NodeByID(nil, "aaa1")
	if n.CreateIndex != 10 || n.ModifyIndex != 13 || n.SchedulingEligibility != drover.NodeIneligible {
		t.Fatalf("re-registered node = %+v", n)
	}

	before := n
	must(t, s.UpdateNodeStatus(14, "aaa1", drover.NodeStatusDown, 1234))
	n, _ = s.NodeByID(nil, "aaa1")
	if n.Status != drover.NodeStatusDown || n.StatusUpdatedAt != 1234 || n.ModifyIndex != 14 {
		t.Fatalf("after status update: %+v", n)
	}
	if before.Status != drover.NodeStatusReady {
		t.Fatal("UpdateNodeStatus modified the stored object in place")
	}
	if err := s.UpdateNodeStatus(15, "nope", drover.NodeStatusDown, 1); !errors.Is(err, drover.ErrNotFound) {
		t.Fatalf("status of unknown node: %v, want ErrNotFound", err)
	}

	must(t, s.DeleteNode(16, "aaa1"))
	if n, _ := s.NodeByID(nil, "aaa1"); n != nil {
		t.Fatal("node still there after delete")
	}
	if err := s.DeleteNode(17, "aaa1"); !errors.Is(err, drover.ErrNotFound) {
		t.Fatalf("delete unknown node: %v, want ErrNotFound", err)
	}
	if idx, _ := s.Index(TableNodes); idx != 16 {
		t.Fatalf("nodes index = %d, want 16", idx)
	}
}
