package drover

import (
	"errors"
	"testing"
)

func validJob() *Job {
	j := &Job{ID: "web", TaskGroups: []*TaskGroup{{
		Name: "g", Count: 1,
		Tasks: []*Task{{Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"}}},
	}}}
	j.Canonicalize()
	return j
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
