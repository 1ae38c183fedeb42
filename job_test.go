package drover

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func validJob() *Job {
	j := &Job{ID: "web", TaskGroups: []*TaskGroup{{
		Name: "g", Count: 1,
		Tasks: []*Task{{Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"}}},
	}}}
	j.Canonicalize()
	return j
}

func TestCanonicalizeDefaults(t *testing.T) {
	j := validJob()
	if j.Namespace != "default" || j.Region != "global" || j.Type != "service" || j.Priority != 50 || j.Name != "web" {
		t.Errorf("job defaults: %+v", j)
	}
	if len(j.Datacenters) != 1 || j.Datacenters[0] != "*" || j.NodePool != "default" {
		t.Errorf("placement defaults: %v %q", j.Datacenters, j.NodePool)
	}
	task := j.TaskGroups[0].Tasks[0]
	if task.Resources.CPU != 100 || task.Resources.MemoryMB != 300 || task.KillTimeout != 5*time.Second {
		t.Errorf("task defaults: %+v %v", task.Resources, task.KillTimeout)
	}
	if rp := task.RestartPolicy; rp.Attempts != 2 || rp.Interval != 30*time.Minute || rp.Mode != "fail" {
		t.Errorf("service restart default: %+v", rp)
	}
	b := &Job{ID: "b", Type: JobTypeBatch, TaskGroups: []*TaskGroup{{Name: "g", Tasks: []*Task{{Name: "t", Driver: "mock"}}}}}
	b.Canonicalize()
	if rp := b.TaskGroups[0].RestartPolicy; rp.Attempts != 3 || rp.Interval != 24*time.Hour {
		t.Errorf("batch restart default: %+v", rp)
	}
	// A group's restart policy is each task's default, as a copy.
	g := b.TaskGroups[0]
	g.Tasks[0].RestartPolicy.Attempts = 9
	if g.RestartPolicy.Attempts == 9 {
		t.Error("task restart policy aliases the group's")
	}
}

func TestJobValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Job)
		want   []string
	}{
		{"valid", func(*Job) {}, nil},
		{"no id", func(j *Job) { j.ID = "" }, []string{"job ID is required"}},
		{"bad id", func(j *Job) { j.ID = "a b" }, []string{`job ID "a b" may contain only`}},
		{"unknown type", func(j *Job) { j.Type = "daemon" }, []string{`job type "daemon" is unknown`}},
		{"system not yet", func(j *Job) { j.Type = JobTypeSystem }, []string{"not supported yet"}},
		{"priority", func(j *Job) { j.Priority = 101 }, []string{"priority 101 is out of range"}},
		{"no groups", func(j *Job) { j.TaskGroups = nil }, []string{"no task group"}},
		{"negative count", func(j *Job) { j.TaskGroups[0].Count = -1 }, []string{`group "g": count -1 is negative`}},
		{"duplicate group", func(j *Job) { j.TaskGroups = append(j.TaskGroups, j.TaskGroups[0]) }, []string{`group "g" is defined twice`}},
		{"duplicate task", func(j *Job) {
			g := j.TaskGroups[0]
			g.Tasks = append(g.Tasks, g.Tasks[0])
		}, []string{`task "t" is defined twice`}},
		{"no driver", func(j *Job) { j.TaskGroups[0].Tasks[0].Driver = "" }, []string{`task "t": driver is required`}},
		{"zero memory", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = -5 }, []string{"memory -5 MB must be positive"}},
		{"negative cpu", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.CPU = -1 }, []string{"cpu -1 is negative"}},
		{"memory max below memory", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMaxMB = 10 }, []string{"memory_max 10 MB is below"}},
		{"restart mode", func(j *Job) { j.TaskGroups[0].RestartPolicy.Mode = "sometimes" }, []string{`mode "sometimes" is unknown`}},
		{"restart does not fit", func(j *Job) {
			j.TaskGroups[0].RestartPolicy = &RestartPolicy{Attempts: 5, Delay: time.Minute, Interval: time.Minute, Mode: "fail"}
		}, []string{"do not fit in interval"}},
		{"static port twice", func(j *Job) {
			j.TaskGroups[0].Networks = []*NetworkResource{{ReservedPorts: []Port{{Label: "a", Value: 80}, {Label: "b", Value: 80}}}}
		}, []string{`static port 80 is already claimed by port "a"`}},
		{"every problem reported", func(j *Job) { j.Priority = 0; j.TaskGroups[0].Tasks[0].Driver = "" }, []string{"priority 0", "driver is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			tt.mutate(j)
			err := j.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestAllocIndexAndName(t *testing.T) {
	for _, tt := range []struct {
		name string
		want int
	}{
		{AllocName("web", "g", 0), 0},
		{AllocName("web", "g", 12), 12},
		{"web.g[]", -1},
		{"web.g[1x]", -1},
		{"web.g", -1},
		{"a[b].g[7]", 7},
	} {
		if got := (&Allocation{Name: tt.name}).Index(); got != tt.want {
			t.Errorf("Index(%q) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestErrorKindsCrossTheWire(t *testing.T) {
	for _, kind := range []error{ErrNotFound, ErrInvalid, ErrConflict, ErrPermission, ErrTooLarge, ErrNoLeader, ErrUnavailable, ErrNotSupported} {
		err := Errorf(kind, "job %q: %w", "web", errors.New("cause"))
		back := ErrorFromWire(err.Error(), ErrorKindName(err))
		if !errors.Is(back, kind) || back.Error() != `job "web": cause` {
			t.Errorf("kind %v: rebuilt %v (is=%v)", kind, back, errors.Is(back, kind))
		}
	}
	if ErrorKindName(errors.New("plain")) != "" {
		t.Error("a plain error has no kind")
	}
	if errors.Is(ErrorFromWire("x", "bogus"), ErrNotFound) {
		t.Error("an unknown wire kind must not match a sentinel")
	}
}

func TestCopiesAreDeep(t *testing.T) {
	j := validJob()
	c := j.Copy()
	c.TaskGroups[0].Tasks[0].Config["command"] = "/bin/false"
	c.TaskGroups[0].Count = 9
	if j.TaskGroups[0].Tasks[0].Config["command"] != "/bin/true" || j.TaskGroups[0].Count != 1 {
		t.Error("Job.Copy shares state with the original")
	}
	a := &Allocation{ID: "a", Job: j, TaskStates: map[string]*TaskState{"t": {State: TaskStateRunning}}}
	ac := a.Copy()
	ac.TaskStates["t"].State = TaskStateDead
	if a.TaskStates["t"].State != TaskStateRunning || ac.Job != j {
		t.Error("Allocation.Copy must deep-copy task states and share the job")
	}
}

func TestPlanResultFullCommit(t *testing.T) {
	p := &Plan{}
	p.AppendAlloc(&Allocation{ID: "a", NodeID: "n1"})
	p.AppendStop(&Allocation{ID: "b", NodeID: "n2"}, "scaled down")
	if stop := p.NodeUpdate["n2"][0]; stop.DesiredStatus != AllocDesiredStatusStop || stop.DesiredDescription != "scaled down" {
		t.Errorf("stop = %+v", stop)
	}
	full, exp, act := (&PlanResult{NodeAllocation: p.NodeAllocation}).FullCommit(p)
	if full || exp != 2 || act != 1 {
		t.Errorf("FullCommit = %v %d %d, want false 2 1", full, exp, act)
	}
}
