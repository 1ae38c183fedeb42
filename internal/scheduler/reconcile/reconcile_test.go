package reconcile

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	drover "github.com/drover-sh/drover"
)

func testJob(count int) *drover.Job {
	return &drover.Job{ID: "j", Namespace: "default", Type: drover.JobTypeService, Version: 2, JobModifyIndex: 20,
		TaskGroups: []*drover.TaskGroup{{Name: "g", Count: count}}}
}

// alloc is an allocation of group g at index i on node n running job.
func alloc(job *drover.Job, i int, node, client string) *drover.Allocation {
	return &drover.Allocation{ID: fmt.Sprintf("a%d-%s", i, client), Name: drover.AllocName("j", "g", i), JobID: "j",
		Namespace: "default", TaskGroup: "g", NodeID: node, Job: job,
		DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: client}
}

// summary renders a result as "place: names; stop: name(desc/client)".
func summary(r *Result) string {
	var place, stop []string
	for _, p := range r.Place {
		s := p.Name
		if p.Previous != nil {
			s += "<" + p.Previous.ID
		}
		place = append(place, s)
	}
	for _, s := range r.Stop {
		x := s.Alloc.Name + "(" + s.Description
		if s.ClientStatus != "" {
			x += "/" + s.ClientStatus
		}
		stop = append(stop, x+")")
	}
	sort.Strings(place)
	sort.Strings(stop)
	return "place: " + strings.Join(place, " ") + "; stop: " + strings.Join(stop, " ")
}

func TestCompute(t *testing.T) {
	job := testJob(3)
	// old is an earlier version whose task differs: its allocations must be
	// replaced.
	old := testJob(3)
	old.Version, old.JobModifyIndex = 1, 10
	old.TaskGroups[0].Tasks = []*drover.Task{{Name: "t", Driver: "mock", Config: map[string]any{"run_for": "1s"}}}
	job.TaskGroups[0].Tasks = []*drover.Task{{Name: "t", Driver: "mock", Config: map[string]any{"run_for": "2s"}}}
	// scaled is an earlier version that differs only in count.
	scaled := testJob(1)
	scaled.Version, scaled.JobModifyIndex = 1, 10
	scaled.TaskGroups[0].Tasks = job.TaskGroups[0].Tasks
	run := drover.AllocClientStatusRunning
	stoppedJob := testJob(3)
	stoppedJob.Stop = true
	serverStopped := alloc(job, 1, "n1", run)
	serverStopped.DesiredStatus = drover.AllocDesiredStatusStop

	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"fresh", Input{Job: job}, "place: j.g[0] j.g[1] j.g[2]; stop: "},
		{"fills gaps lowest first", Input{Job: job, Allocs: []*drover.Allocation{alloc(job, 0, "n1", run), alloc(job, 2, "n1", run)}},
			"place: j.g[1]; stop: "},
		{"steady", Input{Job: job, Allocs: []*drover.Allocation{alloc(job, 0, "n", run), alloc(job, 1, "n", run), alloc(job, 2, "n", run)}},
			"place: ; stop: "},
		{"scale down stops newest", Input{Job: testJob(1), Allocs: []*drover.Allocation{
			alloc(testJob(1), 0, "n", run), alloc(testJob(1), 1, "n", run), alloc(testJob(1), 2, "n", run)}},
			"place: ; stop: j.g[1](" + DescScaledDown + ") j.g[2](" + DescScaledDown + ")"},
		{"job stopped", Input{Job: stoppedJob, Allocs: []*drover.Allocation{alloc(job, 0, "n", run), alloc(job, 1, "n", drover.AllocClientStatusComplete)}},
			"place: ; stop: j.g[0](" + DescJobStopped + ")"},
		{"job purged, lost alloc marked lost", Input{Job: nil, TaintedNodes: map[string]bool{"dead": true},
			Allocs: []*drover.Allocation{alloc(job, 0, "dead", run)}},
			"place: ; stop: j.g[0](" + DescJobStopped + "/lost)"},
		{"group removed", Input{Job: job, Allocs: []*drover.Allocation{func() *drover.Allocation {
			a := alloc(job, 0, "n", run)
			a.TaskGroup, a.Name = "gone", "j.gone[0]"
			return a
		}()}}, "place: j.g[0] j.g[1] j.g[2]; stop: j.gone[0](" + DescGroupRemoved + ")"},
		{"destructive update", Input{Job: job, Allocs: []*drover.Allocation{alloc(old, 0, "n", run), alloc(job, 1, "n", run), alloc(job, 2, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescUpdating + ")"},
		{"count-only change keeps allocations running", Input{Job: job, Allocs: []*drover.Allocation{alloc(scaled, 0, "n", run)}},
			"place: j.g[1] j.g[2]; stop: "},
		{"lost replaced", Input{Job: job, TaintedNodes: map[string]bool{"dead": true},
			Allocs: []*drover.Allocation{alloc(job, 0, "dead", run), alloc(job, 1, "n", run), alloc(job, 2, "n", run)}},
			"place: j.g[0]<a0-running; stop: j.g[0](" + DescLost + "/lost)"},
		{"lost not replaced when scaled down", Input{Job: testJob(2), TaintedNodes: map[string]bool{"dead": true},
			Allocs: []*drover.Allocation{alloc(testJob(2), 0, "n", run), alloc(testJob(2), 1, "n", run), alloc(testJob(2), 2, "dead", run)}},
			"place: ; stop: j.g[2](" + DescLost + "/lost)"},
		{"failed kept until reschedule policies", Input{Job: job, Allocs: []*drover.Allocation{
			alloc(job, 0, "n", drover.AllocClientStatusFailed), alloc(job, 1, "n", run), alloc(job, 2, "n", run)}},
			"place: ; stop: "},
		{"service complete replaced", Input{Job: job, Allocs: []*drover.Allocation{
			alloc(job, 0, "n", drover.AllocClientStatusComplete), alloc(job, 1, "n", run), alloc(job, 2, "n", run)}},
			"place: j.g[0]; stop: "},
		{"batch complete done even when outdated", Input{Job: job, Batch: true, Allocs: []*drover.Allocation{
			alloc(old, 0, "n", drover.AllocClientStatusComplete), alloc(job, 1, "n", run), alloc(job, 2, "n", run)}},
			"place: ; stop: "},
		{"server-stopped frees its index", Input{Job: job, Allocs: []*drover.Allocation{alloc(job, 0, "n", run), serverStopped, alloc(job, 2, "n", run)}},
			"place: j.g[1]; stop: "},
		{"already lost frees its index", Input{Job: job, Allocs: []*drover.Allocation{alloc(job, 0, "n", drover.AllocClientStatusLost), alloc(job, 1, "n", run), alloc(job, 2, "n", run)}},
			"place: j.g[0]; stop: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(Compute(tt.in)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestComputeCountsUpdates(t *testing.T) {
	job := testJob(2)
	job.TaskGroups[0].Tasks = []*drover.Task{{Name: "t", Driver: "mock", Env: map[string]string{"V": "2"}}}
	old := testJob(2)
	old.Version = 1
	old.TaskGroups[0].Tasks = []*drover.Task{{Name: "t", Driver: "mock", Env: map[string]string{"V": "1"}}}
	r := Compute(Input{Job: job, Allocs: []*drover.Allocation{alloc(old, 0, "n", drover.AllocClientStatusRunning)}})
	u := r.DesiredTGUpdates["g"]
	if u == nil || u.DestructiveUpdate != 1 || u.Place != 2 || u.Stop != 0 {
		t.Fatalf("updates = %+v", u)
	}
}

// TestClassifyUpdate: what forces a replacement and what is updated where
// the allocation runs.
func TestClassifyUpdate(t *testing.T) {
	base := func() *drover.Job {
		return &drover.Job{ID: "j", Version: 1, JobModifyIndex: 10, Meta: map[string]string{"team": "a"},
			TaskGroups: []*drover.TaskGroup{{Name: "g", Count: 1,
				Services: []*drover.Service{{Name: "web", Tags: []string{"v1"}}},
				Tasks: []*drover.Task{{Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/x"},
					Services: []*drover.Service{{Name: "api"}}}}}}}
	}
	tests := []struct {
		name   string
		change func(*drover.Job)
		want   updateKind
	}{
		{"same version", func(j *drover.Job) { j.Version, j.JobModifyIndex = 1, 10 }, updateNone},
		{"count", func(j *drover.Job) { j.TaskGroups[0].Count = 5 }, updateInPlace},
		{"group service tags", func(j *drover.Job) { j.TaskGroups[0].Services[0].Tags = []string{"v2"} }, updateInPlace},
		{"task services", func(j *drover.Job) { j.TaskGroups[0].Tasks[0].Services = nil }, updateInPlace},
		{"update policy", func(j *drover.Job) { j.TaskGroups[0].Update = &drover.UpdateStrategy{MaxParallel: 2} }, updateInPlace},
		{"driver config", func(j *drover.Job) { j.TaskGroups[0].Tasks[0].Config = map[string]any{"command": "/bin/y"} }, updateDestructive},
		{"task env", func(j *drover.Job) { j.TaskGroups[0].Tasks[0].Env = map[string]string{"A": "1"} }, updateDestructive},
		{"resources", func(j *drover.Job) { j.TaskGroups[0].Tasks[0].Resources = &drover.Resources{CPU: 500} }, updateDestructive},
		{"job meta (feeds NOMAD_META_*)", func(j *drover.Job) { j.Meta = map[string]string{"team": "b"} }, updateDestructive},
		{"group gone", func(j *drover.Job) { j.TaskGroups[0].Name = "other" }, updateDestructive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := base()
			next.Version, next.JobModifyIndex = 2, 20
			tt.change(next)
			a := &drover.Allocation{TaskGroup: "g", Job: base()}
			if got := classifyUpdate(a, next); got != tt.want {
				t.Errorf("classifyUpdate = %d, want %d", got, tt.want)
			}
		})
	}
}
