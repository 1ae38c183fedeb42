package fsm

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// TestApplyPeriodicChildRegister: a periodic launch is one log entry that
// writes the child, its evaluation and the parent's launch record, and
// tells the hooks of both the evaluation and the child.
func TestApplyPeriodicChildRegister(t *testing.T) {
	if PeriodicChildRegisterRequestType != 14 {
		t.Fatalf("PeriodicChildRegisterRequestType = %d: a released type must keep its number", PeriodicChildRegisterRequestType)
	}
	var rec recorder
	var changed []string
	hooks := rec.hooks()
	hooks.JobChanged = func(ns, id string) { changed = append(changed, ns+"/"+id) }
	f := newFSM(t, hooks)
	parent := testJob("cron")
	parent.Type = drover.JobTypeBatch
	parent.Periodic = &drover.PeriodicConfig{Enabled: true, Specs: []string{"* * * * *"}}
	mustApply(t, f, 1, JobRegisterRequestType, &JobRegisterRequest{Job: parent})

	at := time.Unix(1700000000, 0).UTC()
	child := parent.PeriodicChild(at)
	mustApply(t, f, 2, PeriodicChildRegisterRequestType, &PeriodicChildRegisterRequest{
		Job: child, Eval: eval("e1", child.ID, drover.EvalStatusPending),
		Launch: drover.PeriodicLaunch{ID: "cron", Namespace: "default", Launch: at},
	})
	st := f.State()
	j, _ := st.JobByID(nil, "default", child.ID)
	e, _ := st.EvalByID(nil, "e1")
	l, _ := st.PeriodicLaunchByID(nil, "default", "cron")
	if j == nil || j.CreateIndex != 2 || e == nil || e.CreateIndex != 2 || l == nil || l.ModifyIndex != 2 || !l.Launch.Equal(at) {
		t.Fatalf("child %+v eval %+v launch %+v: want all written at index 2", j, e, l)
	}
	if !reflect.DeepEqual(rec.evals, []string{"e1"}) {
		t.Errorf("EvalsUpserted got %v, want [e1]", rec.evals)
	}
	if want := []string{"default/cron", "default/" + child.ID}; !reflect.DeepEqual(changed, want) {
		t.Errorf("JobChanged got %v, want %v", changed, want)
	}

	// A launch naming another parent is refused whole.
	other := parent.PeriodicChild(at.Add(time.Minute))
	resp := apply(t, f, 3, PeriodicChildRegisterRequestType, &PeriodicChildRegisterRequest{
		Job: other, Eval: eval("e2", other.ID, drover.EvalStatusPending),
		Launch: drover.PeriodicLaunch{ID: "other", Namespace: "default", Launch: at.Add(time.Minute)},
	})
	if err, ok := resp.(error); !ok || !errors.Is(err, drover.ErrInvalid) {
		t.Fatalf("mismatched launch: %v, want ErrInvalid", resp)
	}
	if resp := apply(t, f, 4, PeriodicChildRegisterRequestType, &PeriodicChildRegisterRequest{}); resp == nil {
		t.Error("a launch without a child was applied")
	}
	if j, _ := st.JobByID(nil, "default", other.ID); j != nil {
		t.Errorf("refused launch wrote its child %+v", j)
	}
	if !reflect.DeepEqual(rec.evals, []string{"e1"}) {
		t.Errorf("a refused launch reached the hooks: %v", rec.evals)
	}
}

// TestSchedulerConfigHook: every stored scheduler configuration reaches the
// hook as stored; a refused check-and-set does not.
func TestSchedulerConfigHook(t *testing.T) {
	var got []*drover.SchedulerConfiguration
	f := newFSM(t, Hooks{SchedulerConfigChanged: func(c *drover.SchedulerConfiguration) { got = append(got, c) }})
	mustApply(t, f, 3, SchedulerConfigRequestType, &SchedulerConfigRequest{Config: drover.SchedulerConfiguration{PauseEvalBroker: true}})
	if resp := apply(t, f, 4, SchedulerConfigRequestType, &SchedulerConfigRequest{Config: drover.SchedulerConfiguration{ModifyIndex: 1}, CAS: true}); resp == nil {
		t.Fatal("a stale check-and-set was applied")
	}
	if len(got) != 1 || !got[0].PauseEvalBroker || got[0].ModifyIndex != 3 || got[0].SchedulerAlgorithm != drover.SchedulerAlgorithmBinpack {
		t.Fatalf("hook got %+v, want the stored configuration of index 3 once", got)
	}
}
