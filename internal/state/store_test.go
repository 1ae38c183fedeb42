package state

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
)

func TestWatchSetFiresOnlyForWhatWasRead(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(5, job))
	must(t, s.UpsertAllocs(6, []*drover.Allocation{testAlloc("a1", job, "n1", "e1"), testAlloc("a2", job, "n2", "e1")}))
	must(t, s.UpsertNode(7, testNode("n1")))

	tests := []struct {
		name  string
		read  func(ws memdb.WatchSet)
		write func(index uint64)
		fires bool
	}{
		{"alloc by id, alloc changes",
			func(ws memdb.WatchSet) { s.AllocByID(ws, "a1") },
			func(i uint64) { s.UpdateAllocsFromClient(i, []*drover.Allocation{{ID: "a1", ClientStatus: "running"}}) }, true},
		{"alloc by id, node changes",
			func(ws memdb.WatchSet) { s.AllocByID(ws, "a1") },
			func(i uint64) { s.UpdateNodeStatus(i, "n1", drover.NodeStatusDown, 1) }, false},
		{"allocs by node, other node's alloc changes",
			func(ws memdb.WatchSet) { s.AllocsByNode(ws, "n1") },
			func(i uint64) { s.UpdateAllocsFromClient(i, []*drover.Allocation{{ID: "a2", ClientStatus: "running"}}) }, false},
		{"allocs by node, alloc placed on it",
			func(ws memdb.WatchSet) { s.AllocsByNode(ws, "n1") },
			func(i uint64) { s.UpsertAllocs(i, []*drover.Allocation{testAlloc("a3", job, "n1", "e1")}) }, true},
		{"node list, node registers",
			func(ws memdb.WatchSet) { s.NodesByIDPrefix(ws, "") },
			func(i uint64) { s.UpsertNode(i, testNode("n9")) }, true},
		{"job summary, alloc status changes",
			func(ws memdb.WatchSet) { s.JobSummaryByID(ws, "default", "web") },
			func(i uint64) { s.UpdateAllocsFromClient(i, []*drover.Allocation{{ID: "a1", ClientStatus: "failed"}}) }, true},
		{"evals table index, eval written",
			func(ws memdb.WatchSet) { s.IndexWatch(ws, TableEvals) },
			func(i uint64) { s.UpsertEvals(i, []*drover.Evaluation{testEval("e5", "other", "pending")}) }, true},
		{"evals table index, node written",
			func(ws memdb.WatchSet) { s.IndexWatch(ws, TableEvals) },
			func(i uint64) { s.UpsertNode(i, testNode("n8")) }, false},
	}
	for i, tt := range tests {
		ws := memdb.NewWatchSet()
		tt.read(ws)
		if len(ws) == 0 {
			t.Fatalf("%s: the read added nothing to the watch set", tt.name)
		}
		tt.write(uint64(100 + i))
		if got := fired(ws); got != tt.fires {
			t.Errorf("%s: fired %v, want %v", tt.name, got, tt.fires)
		}
	}
}

func TestSnapshotIsolation(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(5, testJob("web")))
	snap, err := s.Snapshot()
	must(t, err)
	must(t, s.UpsertJob(6, testJob("api")))
	must(t, s.UpsertNode(7, testNode("n1")))

	if j, _ := snap.JobByID(nil, "default", "api"); j != nil {
		t.Fatal("snapshot sees a later job")
	}
	if ns, _ := snap.NodesByIDPrefix(nil, ""); len(ns) != 0 {
		t.Fatal("snapshot sees a later node")
	}
	if idx, _ := snap.LatestIndex(); idx != 5 {
		t.Fatalf("snapshot latest index %d, want 5", idx)
	}
	if idx, _ := s.LatestIndex(); idx != 7 {
		t.Fatalf("store latest index %d, want 7", idx)
	}
}

func TestAbandon(t *testing.T) {
	s := newStore(t)
	select {
	case <-s.AbandonCh():
		t.Fatal("new store is abandoned")
	default:
	}
	s.Abandon()
	s.Abandon() // idempotent
	<-s.AbandonCh()
}

// TestForEachRestoreRoundTrip copies a store object by object (as a Raft
// snapshot does) and checks everything arrives with its indexes.
func TestForEachRestoreRoundTrip(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertNode(3, testNode("n1")))
	must(t, s.UpsertJobWithEval(4, job, testEval("e1", "web", "pending")))
	changed := testJob("web")
	changed.TaskGroups[0].Count = 5
	must(t, s.UpsertJob(5, changed))
	must(t, s.UpsertAllocs(6, []*drover.Allocation{testAlloc("a1", changed, "n1", "e1")}))
	must(t, s.SetSchedulerConfig(7, &drover.SchedulerConfiguration{SchedulerAlgorithm: drover.SchedulerAlgorithmSpread}, false))
	must(t, s.UpsertPeriodicLaunch(8, &drover.PeriodicLaunch{ID: "web", Namespace: "default", Launch: time.Unix(100, 0)}))

	dst := newStore(t)
	res := dst.Restore()
	counts := map[string]int{}
	must(t, s.ForEach(func(table string, obj any) error {
		counts[table]++
		return res.Insert(table, obj)
	}))
	res.Commit()
	want := map[string]int{TableIndex: 8, TableNodes: 1, TableJobs: 1, TableJobVersions: 2, TableJobSummary: 1, TableEvals: 1, TableAllocs: 1,
		TableSchedulerConfig: 1, TablePeriodicLaunch: 1}
	if !reflect.DeepEqual(counts, want) {
		t.Fatalf("objects per table %v, want %v", counts, want)
	}
	for _, table := range Tables {
		if table == TableIndex {
			continue // it has no entry of its own
		}
		a, _ := s.Index(table)
		b, _ := dst.Index(table)
		if a != b || a == 0 {
			t.Errorf("index of %s: %d restored as %d", table, a, b)
		}
	}
	j, _ := dst.JobByID(nil, "default", "web")
	if j.Version != 1 || j.CreateIndex != 4 || j.JobModifyIndex != 5 {
		t.Fatalf("restored job v%d create %d jobmodify %d", j.Version, j.CreateIndex, j.JobModifyIndex)
	}
	if err := dst.Restore().Insert(TableJobs, testNode("x")); err == nil {
		t.Fatal("restore accepted a node into the jobs table")
	}
}

// TestConcurrentReadsAndWrites runs readers (which walk the objects they
// get) beside a writer; run with -race it catches in-place modification of
// stored objects.
func TestConcurrentReadsAndWrites(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(1, job))
	done := make(chan struct{})
	errs := make(chan error, 4)
	for r := 0; r < 3; r++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				as, _ := s.AllocsByJob(nil, "default", "web", false)
				for _, a := range as {
					_ = a.ClientStatus + a.DesiredStatus + a.NextAllocation
					for _, ts := range a.TaskStates {
						_ = ts.State
					}
				}
				if j, _ := s.JobByID(nil, "default", "web"); j != nil {
					_ = j.Status + j.TaskGroups[0].Name
				}
				if sum, _ := s.JobSummaryByID(nil, "default", "web"); sum != nil {
					_ = sum.Summary["web"].Running
				}
			}
		}()
	}
	stored, _ := s.JobByID(nil, "default", "web")
	for i := 0; i < 100; i++ {
		idx := uint64(10 + 3*i)
		id := fmt.Sprintf("a%03d", i)
		a := testAlloc(id, stored, "n1", "e")
		if i > 0 {
			a.PreviousAllocation = fmt.Sprintf("a%03d", i-1)
		}
		must(t, s.UpsertPlanResults(idx, &ApplyPlanResultsRequest{Job: stored, AllocsUpdated: []*drover.Allocation{a}}))
		must(t, s.UpdateAllocsFromClient(idx+1, []*drover.Allocation{{ID: id, ClientStatus: "running",
			TaskStates: map[string]*drover.TaskState{"srv": {State: "running"}}}}))
		must(t, s.UpsertPlanResults(idx+2, &ApplyPlanResultsRequest{Job: stored, AllocsStopped: []*drover.Allocation{{ID: id}}}))
	}
	close(done)
	for r := 0; r < 3; r++ {
		must(t, <-errs)
	}
}
