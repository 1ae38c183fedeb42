package reconcile

import (
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
)

var drainNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// drainingNode is node "d", draining with the given deadline (0: none).
func drainingNode(deadline time.Duration) map[string]*drover.Node {
	ds := &drover.DrainStrategy{Deadline: deadline, StartedAt: drainNow.Add(-time.Minute)}
	if deadline > 0 {
		ds.ForceDeadline = ds.StartedAt.Add(deadline)
	}
	return map[string]*drover.Node{"d": {ID: "d", Status: drover.NodeStatusReady, Drain: true, DrainStrategy: ds}}
}

// marked is alloc marked Migrate.
func marked(a *drover.Allocation) *drover.Allocation {
	yes := true
	a.DesiredTransition.Migrate = &yes
	return a
}

// replacement is a replacement of prev on node n, with status client; a
// running one has run for ranFor.
func replacement(job *drover.Job, prev *drover.Allocation, n, client string, ranFor time.Duration) *drover.Allocation {
	r := alloc(job, prev.Index(), n, client)
	r.ID = "r" + prev.ID
	r.PreviousAllocation = prev.ID
	if client == drover.AllocClientStatusRunning {
		r.TaskStates = map[string]*drover.TaskState{"t": {State: drover.TaskStateRunning, StartedAt: drainNow.Add(-ranFor)}}
	}
	return r
}

func TestComputeMigrate(t *testing.T) {
	job := testJob(2)
	run, pend := drover.AllocClientStatusRunning, drover.AllocClientStatusPending
	a0 := func() *drover.Allocation { return marked(alloc(job, 0, "d", run)) }
	// The default migrate min_healthy_time is 10s.
	tests := []struct {
		name string
		in   Input
		want string
		upd  GroupUpdates
	}{
		{"without replacement places one and keeps the old running",
			Input{Job: job, DrainingNodes: drainingNode(0), Allocs: []*drover.Allocation{a0(), alloc(job, 1, "n", run)}},
			"place: j.g[0]<a0-running; stop: ", GroupUpdates{Migrate: 1, Ignore: 1}},
		{"replacement pending: old keeps running",
			Input{Job: job, DrainingNodes: drainingNode(0), Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "n", pend, 0), alloc(job, 1, "n", run)}},
			"place: ; stop: ", GroupUpdates{Ignore: 3}},
		{"replacement running shorter than min_healthy_time: old keeps running",
			Input{Job: job, DrainingNodes: drainingNode(0), Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "n", run, 5*time.Second), alloc(job, 1, "n", run)}},
			"place: ; stop: ", GroupUpdates{Ignore: 3}},
		{"healthy replacement: old stopped",
			Input{Job: job, DrainingNodes: drainingNode(0), Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "n", run, 10*time.Second), alloc(job, 1, "n", run)}},
			"place: ; stop: j.g[0](" + DescMigrating + ")", GroupUpdates{Stop: 1, Ignore: 2}},
		{"deadline passed without replacement: stopped and replaced at once",
			Input{Job: job, DrainingNodes: drainingNode(time.Second), Allocs: []*drover.Allocation{a0(), alloc(job, 1, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescMigrating + ")", GroupUpdates{Migrate: 1, Ignore: 1}},
		{"deadline passed with pending replacement: stopped",
			Input{Job: job, DrainingNodes: drainingNode(time.Second), Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "n", pend, 0), alloc(job, 1, "n", run)}},
			"place: ; stop: j.g[0](" + DescMigrating + ")", GroupUpdates{Stop: 1, Ignore: 2}},
		{"force now (negative deadline)",
			Input{Job: job, DrainingNodes: drainingNode(-1), Allocs: []*drover.Allocation{a0(), alloc(job, 1, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescMigrating + ")", GroupUpdates{Migrate: 1, Ignore: 1}},
		{"deadline not yet passed",
			Input{Job: job, DrainingNodes: drainingNode(time.Hour), Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "n", pend, 0), alloc(job, 1, "n", run)}},
			"place: ; stop: ", GroupUpdates{Ignore: 3}},
		{"mark on a node no longer draining is ignored",
			Input{Job: job, Allocs: []*drover.Allocation{a0(), alloc(job, 1, "n", run)}},
			"place: ; stop: ", GroupUpdates{Ignore: 2}},
		{"drain cancelled with replacement pending: pair still counts once",
			Input{Job: job, Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "n", pend, 0), alloc(job, 1, "n", run)}},
			"place: ; stop: ", GroupUpdates{Ignore: 3}},
		{"drain cancelled with replacement healthy: old stopped",
			Input{Job: job, Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "n", run, time.Minute), alloc(job, 1, "n", run)}},
			"place: ; stop: j.g[0](" + DescMigrating + ")", GroupUpdates{Stop: 1, Ignore: 2}},
		{"down node: lost, drain or not",
			Input{Job: job, TaintedNodes: map[string]bool{"d": true}, Allocs: []*drover.Allocation{a0(), alloc(job, 1, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescLost + "/lost)", GroupUpdates{Place: 1, Lost: 1, Ignore: 1}},
		{"lost replacement is not healthy: old keeps running, replacement replaced",
			Input{Job: job, DrainingNodes: drainingNode(0), TaintedNodes: map[string]bool{"gone": true},
				Allocs: []*drover.Allocation{a0(), replacement(job, a0(), "gone", run, time.Hour), alloc(job, 1, "n", run)}},
			"place: j.g[0]<ra0-running; stop: j.g[0](" + DescLost + "/lost)", GroupUpdates{Place: 1, Lost: 1, Ignore: 2}},
		{"replacement of a failed replacement still pairs",
			Input{Job: job, DrainingNodes: drainingNode(0), Allocs: func() []*drover.Allocation {
				r := replacement(job, a0(), "n", drover.AllocClientStatusFailed, 0)
				r.DesiredStatus = drover.AllocDesiredStatusStop
				r2 := replacement(job, r, "n", pend, 0)
				return []*drover.Allocation{a0(), r, r2, alloc(job, 1, "n", run)}
			}()},
			"place: ; stop: ", GroupUpdates{Ignore: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = drainNow
			res := Compute(tt.in)
			if got := summary(res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if got := *res.DesiredTGUpdates["g"]; got != tt.upd {
				t.Errorf("updates = %+v, want %+v", got, tt.upd)
			}
		})
	}
}

// TestComputeMigratePairCountsOnce: an allocation and its replacement are
// one instance to scaling and index assignment.
func TestComputeMigratePairCountsOnce(t *testing.T) {
	run, pend := drover.AllocClientStatusRunning, drover.AllocClientStatusPending
	allocs := func(job *drover.Job, migrateIndex int) []*drover.Allocation {
		a0, a1 := alloc(job, 0, "n", run), alloc(job, 1, "n", run)
		old := []*drover.Allocation{a0, a1}[migrateIndex]
		old.NodeID = "d"
		marked(old)
		return []*drover.Allocation{a0, a1, replacement(job, old, "n2", pend, 0)}
	}
	tests := []struct {
		name  string
		count int
		index int // of the migrating allocation
		want  string
	}{
		{"same count: nothing to do", 2, 0, "place: ; stop: "},
		{"scale up places only the new index", 3, 0, "place: j.g[2]; stop: "},
		{"scale down stops a plain allocation, the pair stays", 1, 0, "place: ; stop: j.g[1](" + DescScaledDown + ")"},
		{"scale down stops the pair together", 1, 1, "place: ; stop: j.g[1](" + DescScaledDown + ") j.g[1](" + DescScaledDown + ")"},
		{"scale to zero stops all three", 0, 1,
			"place: ; stop: j.g[0](" + DescScaledDown + ") j.g[1](" + DescScaledDown + ") j.g[1](" + DescScaledDown + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := testJob(tt.count)
			res := Compute(Input{Job: job, DrainingNodes: drainingNode(0), Now: drainNow, Allocs: allocs(job, tt.index)})
			if got := summary(res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestComputeMigrateUnpairedScaledDown: a migrating allocation without a
// replacement that scaling removes is stopped, not replaced.
func TestComputeMigrateUnpairedScaledDown(t *testing.T) {
	job := testJob(1)
	run := drover.AllocClientStatusRunning
	a1 := marked(alloc(job, 1, "d", run))
	res := Compute(Input{Job: job, DrainingNodes: drainingNode(0), Now: drainNow, Allocs: []*drover.Allocation{alloc(job, 0, "n", run), a1}})
	if got, want := summary(res), "place: ; stop: j.g[1]("+DescScaledDown+")"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestComputeMigrateLostReplacementScaledAway: when scaling down drops a
// pair whose replacement was lost, the old allocation stops too.
func TestComputeMigrateLostReplacementScaledAway(t *testing.T) {
	job := testJob(1)
	run := drover.AllocClientStatusRunning
	a1 := marked(alloc(job, 1, "d", run))
	res := Compute(Input{Job: job, DrainingNodes: drainingNode(0), TaintedNodes: map[string]bool{"gone": true}, Now: drainNow,
		Allocs: []*drover.Allocation{alloc(job, 0, "n", run), a1, replacement(job, a1, "gone", run, time.Hour)}})
	want := "place: ; stop: j.g[1](" + DescLost + "/lost) j.g[1](" + DescScaledDown + ")"
	if got := summary(res); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestComputeMigrateOutdated: the replacement of an allocation of an older
// version runs the current one; the old is not also destructively updated.
func TestComputeMigrateOutdated(t *testing.T) {
	job := testJob(1)
	job.TaskGroups[0].Tasks = []*drover.Task{{Name: "t", Driver: "mock", Env: map[string]string{"V": "2"}}}
	old := testJob(1)
	old.Version, old.JobModifyIndex = 1, 10
	old.TaskGroups[0].Tasks = []*drover.Task{{Name: "t", Driver: "mock", Env: map[string]string{"V": "1"}}}
	res := Compute(Input{Job: job, DrainingNodes: drainingNode(0), Now: drainNow,
		Allocs: []*drover.Allocation{marked(alloc(old, 0, "d", drover.AllocClientStatusRunning))}})
	if got, want := summary(res), "place: j.g[0]<a0-running; stop: "; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if u := res.DesiredTGUpdates["g"]; u.DestructiveUpdate != 0 || u.Migrate != 1 {
		t.Errorf("updates = %+v", u)
	}
}

// TestComputeMigrateSuperseded: a migrating allocation that keeps running
// beside its live replacement is reported as superseded, so that
// placements count the pair once; one being stopped or still without a
// replacement is not.
func TestComputeMigrateSuperseded(t *testing.T) {
	job := testJob(2)
	run, pend := drover.AllocClientStatusRunning, drover.AllocClientStatusPending
	a0 := func() *drover.Allocation { return marked(alloc(job, 0, "d", run)) }
	for _, tt := range []struct {
		name   string
		allocs []*drover.Allocation
		want   []string
	}{
		{"replacement pending", []*drover.Allocation{a0(), replacement(job, a0(), "n", pend, 0), alloc(job, 1, "n", run)}, []string{"a0-running"}},
		{"replacement healthy: old stopped", []*drover.Allocation{a0(), replacement(job, a0(), "n", run, time.Minute), alloc(job, 1, "n", run)}, nil},
		{"no replacement yet", []*drover.Allocation{a0(), alloc(job, 1, "n", run)}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := Compute(Input{Job: job, DrainingNodes: drainingNode(0), Allocs: tt.allocs, Now: drainNow})
			var got []string
			for _, a := range res.Superseded {
				got = append(got, a.ID)
			}
			if len(got) != len(tt.want) || (len(got) == 1 && got[0] != tt.want[0]) {
				t.Errorf("superseded %v, want %v", got, tt.want)
			}
		})
	}
}
