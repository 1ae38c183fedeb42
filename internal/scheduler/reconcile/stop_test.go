package reconcile

import (
	"testing"

	drover "github.com/drover-sh/drover"
)

// stopMarked is alloc marked Reschedule, as `drover alloc stop` marks it.
func stopMarked(a *drover.Allocation) *drover.Allocation {
	yes := true
	a.DesiredTransition.Reschedule = &yes
	return a
}

func TestComputeStopRequested(t *testing.T) {
	job := testJob(2)
	run, pend := drover.AllocClientStatusRunning, drover.AllocClientStatusPending
	tests := []struct {
		name string
		in   Input
		want string
		upd  GroupUpdates
	}{
		{"stopped and replaced at once",
			Input{Job: job, Allocs: []*drover.Allocation{stopMarked(alloc(job, 0, "n", run)), alloc(job, 1, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescStopRequested + ")", GroupUpdates{Place: 1, Stop: 1, Ignore: 1}},
		{"a pending allocation too",
			Input{Job: job, Allocs: []*drover.Allocation{alloc(job, 0, "n", run), stopMarked(alloc(job, 1, "n", pend))}},
			"place: j.g[1]<a1-pending; stop: j.g[1](" + DescStopRequested + ")", GroupUpdates{Place: 1, Stop: 1, Ignore: 1}},
		{"on a draining node, not left running beside its replacement",
			Input{Job: job, DrainingNodes: drainingNode(0), Allocs: []*drover.Allocation{
				stopMarked(marked(alloc(job, 0, "d", run))), alloc(job, 1, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescStopRequested + ")", GroupUpdates{Place: 1, Stop: 1, Ignore: 1}},
		{"scaled down: stopped first, not replaced",
			Input{Job: testJob(1), Allocs: []*drover.Allocation{alloc(job, 0, "n", run), stopMarked(alloc(job, 1, "n", run))}},
			"place: ; stop: j.g[1](" + DescScaledDown + ")", GroupUpdates{Stop: 1, Ignore: 1}},
		{"on a down node: lost wins",
			Input{Job: job, TaintedNodes: map[string]bool{"dead": true}, Allocs: []*drover.Allocation{
				stopMarked(alloc(job, 0, "dead", run)), alloc(job, 1, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescLost + "/lost)", GroupUpdates{Place: 1, Lost: 1, Ignore: 1}},
		{"already complete: replaced as any exited service",
			Input{Job: job, Allocs: []*drover.Allocation{stopMarked(alloc(job, 0, "n", drover.AllocClientStatusComplete)), alloc(job, 1, "n", run)}},
			"place: j.g[0]; stop: ", GroupUpdates{Place: 1, Ignore: 1}},
		{"already stopped by the servers: nothing to do",
			Input{Job: job, Allocs: []*drover.Allocation{func() *drover.Allocation {
				a := stopMarked(alloc(job, 0, "n", run))
				a.DesiredStatus = drover.AllocDesiredStatusStop
				return a
			}(), replacementOf(job, "a0-running", 0), alloc(job, 1, "n", run)}},
			"place: ; stop: ", GroupUpdates{Ignore: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compute(tt.in)
			if got := summary(res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if got := *res.updates("g"); got != tt.upd {
				t.Errorf("updates %+v, want %+v", got, tt.upd)
			}
		})
	}
}

// replacementOf is a running allocation at index i that replaced prevID.
func replacementOf(job *drover.Job, prevID string, i int) *drover.Allocation {
	r := alloc(job, i, "n2", drover.AllocClientStatusRunning)
	r.ID, r.PreviousAllocation = "r"+prevID, prevID
	return r
}
