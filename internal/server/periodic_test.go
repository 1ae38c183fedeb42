package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// periodicStart is where the fake clock starts: in the future, so no real
// time ever makes a launch due.
var periodicStart = time.Date(2031, 3, 1, 0, 0, 30, 0, time.UTC)

func newPeriodicServer(t *testing.T) (*Server, *fakeClock) {
	t.Helper()
	clk := &fakeClock{now: periodicStart}
	s := newTestServer(t, func(c *Config) { c.Clock = clk })
	return s, clk
}

// periodicJob is a batch job launching every minute.
func periodicJob(id string, prohibitOverlap bool) *drover.Job {
	j := rawJob(id, drover.JobTypeBatch)
	j.Periodic = &drover.PeriodicConfig{Enabled: true, Specs: []string{"* * * * *"}, ProhibitOverlap: prohibitOverlap}
	return j
}

func paramJob(id string) *drover.Job {
	j := rawJob(id, drover.JobTypeBatch)
	j.Meta = map[string]string{"owner": "ops", "color": "blue"}
	j.ParameterizedJob = &drover.ParameterizedJobConfig{Payload: "required", MetaRequired: []string{"color"}, MetaOptional: []string{"size"}}
	return j
}

func children(t *testing.T, s *Server, parent string) []*drover.Job {
	t.Helper()
	jobs, err := s.State().ChildJobs(nil, "default", parent)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func childIDs(t *testing.T, s *Server, parent string) string {
	t.Helper()
	var ids []string
	for _, c := range children(t, s, parent) {
		ids = append(ids, strings.TrimPrefix(c.ID, parent))
	}
	return strings.Join(ids, ",")
}

func minute(n int) time.Time {
	return periodicStart.Truncate(time.Minute).Add(time.Duration(n) * time.Minute)
}

func periodicName(n int) string { return fmt.Sprintf("/periodic-%d", minute(n).Unix()) }

func TestParentJobsRegisterWithoutEvaluation(t *testing.T) {
	s, _ := newPeriodicServer(t)
	for _, job := range []*drover.Job{periodicJob("cron", false), paramJob("param")} {
		r := registerJob(t, s, job)
		if r.EvalID != "" || r.EvalCreateIndex != 0 {
			t.Errorf("%s: registration created evaluation %q", job.ID, r.EvalID)
		}
		if evals, _ := s.State().EvalsByJob(nil, "default", job.ID); len(evals) != 0 {
			t.Errorf("%s: %d evaluations, want none", job.ID, len(evals))
		}
		stored, _ := s.State().JobByID(nil, "default", job.ID)
		if stored == nil || stored.Status != drover.JobStatusRunning {
			t.Fatalf("%s: stored %+v, want status running", job.ID, stored)
		}
		sum, _ := s.State().JobSummaryByID(nil, "default", job.ID)
		if sum == nil || sum.Children == nil || *sum.Children != (drover.JobChildrenSummary{}) {
			t.Errorf("%s: summary %+v, want zero children counted", job.ID, sum)
		}
	}
	// A disabled schedule keeps the job a template: no evaluation, no
	// launch, and no forced launch either (as Nomad).
	disabled := periodicJob("off", false)
	disabled.Periodic.Enabled = false
	if r := registerJob(t, s, disabled); r.EvalID != "" {
		t.Errorf("a disabled periodic job got evaluation %q", r.EvalID)
	}
	s.periodic.tick(context.Background())
	if _, ok := s.periodic.tracked("default", "off"); ok {
		t.Error("a disabled periodic job is tracked")
	}
	var force drover.PeriodicForceResponse
	if err := s.RPC(context.Background(), drover.MethodPeriodicForce, &drover.PeriodicForceRequest{JobID: "off"}, &force); !errors.Is(err, drover.ErrInvalid) || !strings.Contains(err.Error(), "disabled") {
		t.Errorf("force of a disabled job: %v, want ErrInvalid saying it is disabled", err)
	}
	var reply drover.JobDeregisterResponse
	if err := s.RPC(context.Background(), drover.MethodJobDeregister, &drover.JobDeregisterRequest{JobID: "cron"}, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.EvalID != "" {
		t.Errorf("stopping a periodic job created evaluation %q", reply.EvalID)
	}
	if j, _ := s.State().JobByID(nil, "default", "cron"); j.Status != drover.JobStatusDead {
		t.Errorf("stopped periodic job is %s, want dead", j.Status)
	}
}

func TestPeriodicLaunchesOnTime(t *testing.T) {
	s, clk := newPeriodicServer(t)
	ctx := context.Background()
	registerJob(t, s, periodicJob("cron", false))
	if next := s.periodic.tick(ctx); !next.Equal(minute(1)) {
		t.Fatalf("next launch %v, want %v", next, minute(1))
	}
	if got := childIDs(t, s, "cron"); got != "" {
		t.Fatalf("children %q before the first launch time", got)
	}
	clk.Set(minute(1))
	if next := s.periodic.tick(ctx); !next.Equal(minute(2)) {
		t.Errorf("next launch %v after launching, want %v", next, minute(2))
	}
	kids := children(t, s, "cron")
	if len(kids) != 1 || kids[0].ID != "cron"+periodicName(1) {
		t.Fatalf("children %q, want one launched at %v", childIDs(t, s, "cron"), minute(1))
	}
	child := kids[0]
	if child.ParentID != "cron" || child.Periodic != nil || child.Type != drover.JobTypeBatch {
		t.Errorf("child %+v: want ParentID cron, no periodic block, batch", child)
	}
	evals, _ := s.State().EvalsByJob(nil, "default", child.ID)
	triggers := map[string]int{}
	for _, e := range evals {
		triggers[e.TriggeredBy]++
	}
	if triggers[drover.EvalTriggerPeriodicJob] != 1 {
		t.Errorf("child evaluation triggers %v, want one %s (and maybe the blocked one it left)", triggers, drover.EvalTriggerPeriodicJob)
	}
	// The child, its evaluation and the launch record are one Raft write:
	// no crash can leave one without the others.
	launch, _ := s.State().PeriodicLaunchByID(nil, "default", "cron")
	if launch == nil || !launch.Launch.Equal(minute(1)) || launch.ModifyIndex != child.CreateIndex {
		t.Errorf("launch record %+v, want %v written with the child at index %d", launch, minute(1), child.CreateIndex)
	}
	for _, e := range evals {
		if e.TriggeredBy == drover.EvalTriggerPeriodicJob && e.CreateIndex != child.CreateIndex {
			t.Errorf("child evaluation written at %d, child at %d: want one write", e.CreateIndex, child.CreateIndex)
		}
	}
	clk.Set(minute(1).Add(30 * time.Second))
	s.periodic.tick(ctx)
	if got := childIDs(t, s, "cron"); got != periodicName(1) {
		t.Errorf("children %q, want still one launch", got)
	}
	waitFor(t, 5*time.Second, "the parent's children summary", func() bool {
		sum, _ := s.State().JobSummaryByID(nil, "default", "cron")
		return sum.Children != nil && sum.Children.Pending+sum.Children.Running == 1
	})
}

func TestPeriodicProhibitOverlap(t *testing.T) {
	s, clk := newPeriodicServer(t)
	ctx := context.Background()
	registerJob(t, s, periodicJob("cron", true))
	s.periodic.tick(ctx)
	clk.Set(minute(1))
	s.periodic.tick(ctx)
	// No node: the child's evaluation blocks and the child stays pending.
	clk.Set(minute(2))
	s.periodic.tick(ctx)
	if got := childIDs(t, s, "cron"); got != periodicName(1) {
		t.Fatalf("children %q: a launch was made while the first child was not dead", got)
	}
	var reply drover.JobDeregisterResponse
	if err := s.RPC(ctx, drover.MethodJobDeregister, &drover.JobDeregisterRequest{JobID: "cron" + periodicName(1)}, &reply); err != nil {
		t.Fatal(err)
	}
	clk.Set(minute(3))
	s.periodic.tick(ctx)
	if got := childIDs(t, s, "cron"); got != periodicName(1)+","+periodicName(3) {
		t.Fatalf("children %q, want a launch at minute 3 once the first child was dead", got)
	}
	sum, _ := s.State().JobSummaryByID(nil, "default", "cron")
	if sum.Children == nil || sum.Children.Dead != 1 || sum.Children.Pending+sum.Children.Running != 1 {
		t.Errorf("children summary %+v, want one dead and one live", sum.Children)
	}
}

func TestPeriodicNewLeaderNeitherRepeatsNorBacklogs(t *testing.T) {
	s, clk := newPeriodicServer(t)
	ctx := context.Background()
	registerJob(t, s, periodicJob("cron", false))
	s.periodic.tick(ctx)
	clk.Set(minute(1).Add(10 * time.Second))
	s.periodic.tick(ctx)

	s.revokeLeadership()
	s.establishLeadership()
	if next, ok := s.periodic.tracked("default", "cron"); !ok || !next.Equal(minute(2)) {
		t.Fatalf("after a leadership change: next launch %v (tracked %v), want %v from the recorded launch", next, ok, minute(2))
	}
	s.periodic.tick(ctx)
	if got := childIDs(t, s, "cron"); got != periodicName(1) {
		t.Fatalf("children %q: the new leader repeated a launch", got)
	}

	// Leadership lost across several launch times: one launch, now.
	s.revokeLeadership()
	late := minute(7).Add(20 * time.Second)
	clk.Set(late)
	s.establishLeadership()
	s.periodic.tick(ctx)
	s.periodic.tick(ctx)
	want := periodicName(1) + "," + fmt.Sprintf("/periodic-%d", late.Unix())
	if got := childIDs(t, s, "cron"); got != want {
		t.Fatalf("children %q, want minute 1 and one catch-up launch at %v", got, late)
	}
	if next, _ := s.periodic.tracked("default", "cron"); !next.Equal(minute(8)) {
		t.Errorf("next launch %v after the catch-up, want %v", next, minute(8))
	}
}

func TestPeriodicStoppedParentStopsLaunching(t *testing.T) {
	s, clk := newPeriodicServer(t)
	ctx := context.Background()
	registerJob(t, s, periodicJob("cron", false))
	s.periodic.tick(ctx)
	clk.Set(minute(1))
	s.periodic.tick(ctx)
	var reply drover.JobDeregisterResponse
	if err := s.RPC(ctx, drover.MethodJobDeregister, &drover.JobDeregisterRequest{JobID: "cron"}, &reply); err != nil {
		t.Fatal(err)
	}
	clk.Set(minute(2))
	s.periodic.tick(ctx)
	if _, ok := s.periodic.tracked("default", "cron"); ok {
		t.Error("a stopped periodic job is still tracked")
	}
	if got := childIDs(t, s, "cron"); got != periodicName(1) {
		t.Errorf("children %q: a stopped job launched, or its child was removed", got)
	}
	if c, _ := s.State().JobByID(nil, "default", "cron"+periodicName(1)); c == nil || c.Stop {
		t.Errorf("child %+v: stopping the parent must leave it running", c)
	}
}

func TestPeriodicForce(t *testing.T) {
	s, clk := newPeriodicServer(t)
	ctx := context.Background()
	registerJob(t, s, periodicJob("cron", true))
	registerJob(t, s, rawJob("plain", drover.JobTypeBatch))
	clk.Set(periodicStart.Add(5 * time.Second))
	var reply drover.PeriodicForceResponse
	if err := s.RPC(ctx, drover.MethodPeriodicForce, &drover.PeriodicForceRequest{JobID: "cron"}, &reply); err != nil {
		t.Fatal(err)
	}
	childID := fmt.Sprintf("cron/periodic-%d", clk.Now().Unix())
	e := evalOf(t, s, reply.EvalID)
	if e == nil || e.JobID != childID || e.TriggeredBy != drover.EvalTriggerPeriodicJob || reply.EvalCreateIndex == 0 {
		t.Fatalf("force: reply %+v eval %+v, want the eval of %s", reply, e, childID)
	}
	if l, _ := s.State().PeriodicLaunchByID(nil, "default", "cron"); l == nil || !l.Launch.Equal(clk.Now()) || l.ModifyIndex != reply.EvalCreateIndex {
		t.Errorf("launch record %+v, want the forced launch written with its child at %d", l, reply.EvalCreateIndex)
	}
	// A second force in the same second derives the same child: as Nomad,
	// it succeeds, registering that child again with a new evaluation.
	first := reply
	if err := s.RPC(ctx, drover.MethodPeriodicForce, &drover.PeriodicForceRequest{JobID: "cron"}, &reply); err != nil {
		t.Fatalf("second force in one second: %v", err)
	}
	if e := evalOf(t, s, reply.EvalID); reply.EvalID == first.EvalID || e == nil || e.JobID != childID || reply.EvalCreateIndex <= first.EvalCreateIndex {
		t.Errorf("second force: reply %+v eval %+v, want a new evaluation of %s", reply, e, childID)
	}
	if got := childIDs(t, s, "cron"); got != strings.TrimPrefix(childID, "cron") {
		t.Errorf("children %q after two forces in one second, want the one child", got)
	}
	// Forcing ignores prohibit_overlap: the first child is still pending.
	clk.Set(periodicStart.Add(6 * time.Second))
	if err := s.RPC(ctx, drover.MethodPeriodicForce, &drover.PeriodicForceRequest{JobID: "cron"}, &reply); err != nil {
		t.Errorf("force while a child runs: %v", err)
	}
	for _, tt := range []struct {
		id   string
		kind error
		want string
	}{
		{"plain", drover.ErrInvalid, `job "plain" is not periodic`},
		{"nope", drover.ErrNotFound, `job "nope" not found`},
	} {
		err := s.RPC(ctx, drover.MethodPeriodicForce, &drover.PeriodicForceRequest{JobID: tt.id}, &reply)
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("force %s: %v, want %v %q", tt.id, err, tt.kind, tt.want)
		}
	}
}

func TestJobDispatch(t *testing.T) {
	s, clk := newPeriodicServer(t)
	ctx := context.Background()
	registerJob(t, s, paramJob("param"))
	registerJob(t, s, rawJob("plain", drover.JobTypeBatch))
	args := &drover.JobDispatchRequest{JobID: "param", Payload: []byte("hello"), Meta: map[string]string{"color": "red", "size": "xl"}, IdPrefixTemplate: "nightly"}
	var reply drover.JobDispatchResponse
	if err := s.RPC(ctx, drover.MethodJobDispatch, args, &reply); err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("param/dispatch-nightly-%d-", clk.Now().Unix())
	if !strings.HasPrefix(reply.DispatchedJobID, prefix) || len(reply.DispatchedJobID) != len(prefix)+8 {
		t.Fatalf("dispatched ID %q, want %q and 8 hex digits", reply.DispatchedJobID, prefix)
	}
	child, _ := s.State().JobByID(nil, "default", reply.DispatchedJobID)
	if child == nil || child.ParentID != "param" || !child.Dispatched || string(child.Payload) != "hello" || child.ParameterizedJob == nil {
		t.Fatalf("child %+v: want ParentID, Dispatched, the payload and the parameterized block", child)
	}
	if want := map[string]string{"owner": "ops", "color": "red", "size": "xl"}; fmt.Sprint(child.Meta) != fmt.Sprint(want) {
		t.Errorf("child meta %v, want %v (parent's merged with the dispatch's)", child.Meta, want)
	}
	e := evalOf(t, s, reply.EvalID)
	if e == nil || e.JobID != child.ID || e.TriggeredBy != drover.EvalTriggerJobDispatch || reply.JobCreateIndex == 0 {
		t.Errorf("reply %+v eval %+v, want the child's job-dispatch eval", reply, e)
	}
	sum, _ := s.State().JobSummaryByID(nil, "default", "param")
	if sum.Children == nil || sum.Children.Pending+sum.Children.Running != 1 {
		t.Errorf("parent's children %+v, want the dispatched child counted", sum.Children)
	}
	for _, tt := range []struct {
		args *drover.JobDispatchRequest
		kind error
		want string
	}{
		{&drover.JobDispatchRequest{JobID: "nope"}, drover.ErrNotFound, `job "nope" not found`},
		{&drover.JobDispatchRequest{JobID: "plain"}, drover.ErrInvalid, "not a parameterized job"},
		{&drover.JobDispatchRequest{JobID: "param", Meta: map[string]string{"color": "x"}}, drover.ErrInvalid, "payload is required"},
		{&drover.JobDispatchRequest{JobID: "param", Payload: []byte("x"), Meta: map[string]string{"colour": "x"}}, drover.ErrInvalid, `meta key "color" is required`},
		{&drover.JobDispatchRequest{JobID: reply.DispatchedJobID, Payload: []byte("x")}, drover.ErrInvalid, "not a parameterized job"},
	} {
		var r drover.JobDispatchResponse
		err := s.RPC(ctx, drover.MethodJobDispatch, tt.args, &r)
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("dispatch %+v: %v, want %v %q", tt.args, err, tt.kind, tt.want)
		}
	}
}

// TestDispatchOfPeriodicTemplate: a dispatched child of a job both
// periodic and parameterized is itself a periodic job, launching on the
// schedule, with no evaluation of its own (as in Nomad).
func TestDispatchOfPeriodicTemplate(t *testing.T) {
	s, clk := newPeriodicServer(t)
	ctx := context.Background()
	both := paramJob("both")
	both.Periodic = &drover.PeriodicConfig{Enabled: true, Specs: []string{"* * * * *"}}
	registerJob(t, s, both)
	s.periodic.tick(ctx)
	if _, ok := s.periodic.tracked("default", "both"); ok {
		t.Fatal("the parameterized template itself is tracked: only its dispatched children launch")
	}
	var reply drover.JobDispatchResponse
	args := &drover.JobDispatchRequest{JobID: "both", Payload: []byte("p"), Meta: map[string]string{"color": "red"}}
	if err := s.RPC(ctx, drover.MethodJobDispatch, args, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.EvalID != "" {
		t.Errorf("dispatched periodic child got evaluation %q", reply.EvalID)
	}
	s.periodic.tick(ctx)
	if next, ok := s.periodic.tracked("default", reply.DispatchedJobID); !ok || !next.Equal(minute(1)) {
		t.Fatalf("dispatched child tracked %v next %v, want launching at %v", ok, next, minute(1))
	}
	clk.Set(minute(1))
	s.periodic.tick(ctx)
	if got := childIDs(t, s, reply.DispatchedJobID); got != periodicName(1) {
		t.Errorf("children of the dispatched child %q, want a launch at minute 1", got)
	}
}

// TestPeriodicRunLoopLaunchesWhenDue: the leader's own loop, not a test's
// tick, launches the child once its timer fires at the launch time.
func TestPeriodicRunLoopLaunchesWhenDue(t *testing.T) {
	s, clk := newPeriodicServer(t)
	clk.Set(minute(1).Add(-100 * time.Millisecond))
	registerJob(t, s, periodicJob("cron", false))
	waitFor(t, 5*time.Second, "the loop to track the job", func() bool {
		_, ok := s.periodic.tracked("default", "cron")
		return ok
	})
	if got := childIDs(t, s, "cron"); got != "" {
		t.Fatalf("children %q before the launch time", got)
	}
	clk.Set(minute(1))
	waitFor(t, 5*time.Second, "the launch at minute 1", func() bool { return childIDs(t, s, "cron") == periodicName(1) })
}

// TestPeriodicLaunchOfExistingChild: a child whose launch a previous
// leader made (with a log from before launches were one command, it may
// lack its launch record) is not launched again; its launch is recorded.
func TestPeriodicLaunchOfExistingChild(t *testing.T) {
	s, _ := newPeriodicServer(t)
	ctx := context.Background()
	registerJob(t, s, periodicJob("cron", false))
	parent, _ := s.State().JobByID(nil, "default", "cron")
	child := parent.PeriodicChild(minute(1))
	if _, err := s.raftApply(ctx, fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: child}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.launchPeriodic(ctx, parent, minute(1)); !errors.Is(err, errLaunched) {
		t.Fatalf("launch of an existing child: %v, want errLaunched", err)
	}
	l, _ := s.State().PeriodicLaunchByID(nil, "default", "cron")
	if l == nil || !l.Launch.Equal(minute(1)) {
		t.Fatalf("launch record %+v, want minute 1 recorded", l)
	}
	if evals, _ := s.State().EvalsByJob(nil, "default", child.ID); len(evals) != 0 {
		t.Errorf("the existing child got %d evaluations, want none", len(evals))
	}
	// Recorded already: nothing more is written.
	before, _ := s.State().LatestIndex()
	if _, _, err := s.launchPeriodic(ctx, parent, minute(1)); !errors.Is(err, errLaunched) {
		t.Fatalf("second launch: %v, want errLaunched", err)
	}
	if after, _ := s.State().LatestIndex(); after != before {
		t.Errorf("a launch already recorded was written again (index %d -> %d)", before, after)
	}
}
