package state

import (
	"errors"
	"slices"
	"testing"

	"github.com/drover-sh/drover"
)

func TestJobVersionsBumpOnlyOnSpecChange(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(10, testJob("web")))
	j, _ := s.JobByID(nil, "default", "web")
	// The store never reads the clock: a SubmitTime is the server's to set.
	if j.Version != 0 || j.CreateIndex != 10 || j.ModifyIndex != 10 || j.JobModifyIndex != 10 || j.SubmitTime != 0 {
		t.Fatalf("new job = v%d create %d modify %d jobmodify %d submit %d", j.Version, j.CreateIndex, j.ModifyIndex, j.JobModifyIndex, j.SubmitTime)
	}
	if j.Status != drover.JobStatusPending {
		t.Fatalf("new job status %q, want pending", j.Status)
	}

	// Same spec (maps rebuilt, so their order differs): no new version.
	same := testJob("web")
	same.Status, same.Version, same.SubmitTime = "dead", 7, 0
	must(t, s.UpsertJob(11, same))
	j, _ = s.JobByID(nil, "default", "web")
	if j.Version != 0 || j.JobModifyIndex != 10 || j.ModifyIndex != 11 || j.CreateIndex != 10 {
		t.Fatalf("unchanged job = v%d jobmodify %d modify %d create %d", j.Version, j.JobModifyIndex, j.ModifyIndex, j.CreateIndex)
	}

	for i := 1; i <= 8; i++ {
		changed := testJob("web")
		changed.TaskGroups[0].Count = 2 + i
		must(t, s.UpsertJob(uint64(20+i), changed))
		j, _ = s.JobByID(nil, "default", "web")
		if j.Version != uint64(i) || j.JobModifyIndex != uint64(20+i) || j.CreateIndex != 10 {
			t.Fatalf("change %d: v%d jobmodify %d create %d", i, j.Version, j.JobModifyIndex, j.CreateIndex)
		}
	}
	vs, err := s.JobVersionsByID(nil, "default", "web")
	must(t, err)
	var got []uint64
	for _, v := range vs {
		got = append(got, v.Version)
	}
	if want := []uint64{8, 7, 6, 5, 4, 3}; !slices.Equal(got, want) {
		t.Fatalf("versions %v, want %v (newest first, %d kept)", got, want, MaxJobVersions)
	}
	if vs[0].TaskGroups[0].Count != 10 {
		t.Fatalf("newest version count %d, want 10", vs[0].TaskGroups[0].Count)
	}
}

func TestJobsByIDPrefixAndNamespaces(t *testing.T) {
	s := newStore(t)
	for i, id := range []string{"web", "web-2", "api", "w"} {
		must(t, s.UpsertJob(uint64(10+i), testJob(id)))
	}
	other := testJob("web")
	other.Namespace = "prod"
	must(t, s.UpsertJob(20, other))

	jobIDs := func(js []*drover.Job) []string {
		return ids(js, func(j *drover.Job) string { return j.Namespace + "/" + j.ID })
	}
	tests := []struct {
		ns, prefix string
		want       []string
	}{
		{"default", "", []string{"default/api", "default/w", "default/web", "default/web-2"}},
		{"default", "we", []string{"default/web", "default/web-2"}},
		{"default", "web", []string{"default/web", "default/web-2"}},
		{"prod", "", []string{"prod/web"}},
		{"nope", "", nil},
		{AllNamespaces, "web", []string{"default/web", "prod/web", "default/web-2"}},
	}
	for _, tt := range tests {
		js, err := s.JobsByIDPrefix(nil, tt.ns, tt.prefix)
		must(t, err)
		if got := jobIDs(js); !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("JobsByIDPrefix(%q, %q) = %v, want %v", tt.ns, tt.prefix, got, tt.want)
		}
	}
	if j, _ := s.JobByID(nil, "prod", "api"); j != nil {
		t.Fatal("job found in the wrong namespace")
	}
}

func TestDeleteAndDeregisterJob(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJobWithEval(10, job, testEval("e1", "web", drover.EvalStatusPending)))
	must(t, s.UpsertAllocs(11, []*drover.Allocation{testAlloc("a1", job, "n1", "e1")}))

	// Stop: a new version with Stop set; the job is dead; the eval commits with it.
	must(t, s.DeregisterJob(12, "default", "web", false, testEval("e2", "web", drover.EvalStatusPending)))
	j, _ := s.JobByID(nil, "default", "web")
	if !j.Stop || j.Version != 1 || j.Status != drover.JobStatusDead || j.JobModifyIndex != 12 {
		t.Fatalf("stopped job: stop %v v%d status %s jobmodify %d", j.Stop, j.Version, j.Status, j.JobModifyIndex)
	}
	if e, _ := s.EvalByID(nil, "e2"); e == nil || e.CreateIndex != 12 {
		t.Fatalf("deregister eval = %+v", e)
	}

	// Purge: job, versions and summary go; evals and allocs stay for GC.
	must(t, s.DeregisterJob(13, "default", "web", true, nil))
	if j, _ := s.JobByID(nil, "default", "web"); j != nil {
		t.Fatal("job still there after purge")
	}
	if vs, _ := s.JobVersionsByID(nil, "default", "web"); len(vs) != 0 {
		t.Fatalf("%d versions left after purge", len(vs))
	}
	if sum, _ := s.JobSummaryByID(nil, "default", "web"); sum != nil {
		t.Fatal("summary left after purge")
	}
	if as, _ := s.AllocsByJob(nil, "default", "web", true); len(as) != 1 {
		t.Fatalf("%d allocs after purge, want 1 (kept until GC)", len(as))
	}
	for _, err := range []error{
		s.DeleteJob(14, "default", "web"),
		s.DeregisterJob(14, "default", "web", false, nil),
	} {
		if !errors.Is(err, drover.ErrNotFound) {
			t.Fatalf("delete unknown job: %v, want ErrNotFound", err)
		}
	}

	// Registered again: the old incarnation's allocs don't count.
	must(t, s.UpsertJob(15, testJob("web")))
	if as, _ := s.AllocsByJob(nil, "default", "web", false); len(as) != 0 {
		t.Fatalf("current allocs = %v, want none", allocIDs(as))
	}
	if as, _ := s.AllocsByJob(nil, "default", "web", true); len(as) != 1 {
		t.Fatalf("any-create-index allocs = %v, want a1", allocIDs(as))
	}
	sum, _ := s.JobSummaryByID(nil, "default", "web")
	if sum.Summary["web"] != (drover.TaskGroupSummary{}) {
		t.Fatalf("re-registered summary = %+v, want zero", sum.Summary["web"])
	}
}
