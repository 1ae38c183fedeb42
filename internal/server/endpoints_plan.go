package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler"
	"github.com/drover-sh/drover/internal/state"
)

// submittedJob returns a canonicalized copy of a job a request carries, in
// the request's namespace when the job names none, and its validation
// problems (nil when valid).
func submittedJob(in *drover.Job, namespace, what string) (*drover.Job, error, error) {
	if in == nil {
		return nil, nil, drover.Errorf(drover.ErrInvalid, "%s: missing job", what)
	}
	job := in.Copy()
	if job.Namespace == "" {
		job.Namespace = namespace
	}
	job.Canonicalize()
	return job, job.Validate(), nil
}

// jobPlan is a dry run of a registration: what the scheduler would do with
// the submitted job over the current state, and how the job differs from
// the registered one. Nothing is written.
func (s *Server) jobPlan(ctx context.Context, args *drover.JobPlanRequest, reply *drover.JobPlanResponse) error {
	if done, err := s.forward(ctx, drover.MethodJobPlan, args, reply); done {
		return err
	}
	job, invalid, err := submittedJob(args.Job, args.Namespace, "job plan")
	if err != nil {
		return err
	}
	if invalid != nil {
		return drover.Errorf(drover.ErrInvalid, "job validation failed: %w", invalid)
	}
	snap, err := s.State().Snapshot()
	if err != nil {
		return fmt.Errorf("job plan: %w", err)
	}
	latest, err := snap.LatestIndex()
	if err != nil {
		return fmt.Errorf("job plan: %w", err)
	}
	existing, err := snap.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("job plan: %w", err)
	}
	nodes, err := snap.Nodes(nil)
	if err != nil {
		return fmt.Errorf("job plan: %w", err)
	}
	if err := asRegistered(job, existing, latest); err != nil {
		return fmt.Errorf("job plan: %w", err)
	}
	planner, err := s.dryRun(snap, job)
	if err != nil {
		return fmt.Errorf("job plan %q: %w", job.ID, err)
	}
	reply.Annotations, reply.CreatedEvals = planner.annotations(job), planner.created
	if planner.eval != nil {
		reply.FailedTGAllocs = planner.eval.FailedTGAllocs
	}
	if existing != nil {
		reply.JobModifyIndex = existing.JobModifyIndex
	}
	if args.Diff {
		diff, err := jobDiff(existing, job, true)
		if err != nil {
			return fmt.Errorf("job plan %q: diff: %w", job.ID, err)
		}
		annotateDiff(diff, reply.Annotations)
		reply.Diff = diff
	}
	warnings := jobWarnings(args.Job, job, nodes)
	if p := job.Periodic; p != nil && p.Enabled {
		next, err := p.Next(time.Now())
		if err != nil {
			warnings = append(warnings, err.Error())
		}
		reply.NextPeriodicLaunch = next
	}
	reply.Warnings = strings.Join(warnings, "\n")
	reply.Index = max(latest, 1)
	return nil
}

// dryRun runs the scheduler for a registration of job (its version and
// indexes set as registering would set them) over snap. A periodic or
// parameterized job is not scheduled (it only launches children): the
// planner then records nothing.
func (s *Server) dryRun(snap *state.StateSnapshot, job *drover.Job) (*dryRunPlanner, error) {
	planner := &dryRunPlanner{}
	if job.IsParent() {
		return planner, nil
	}
	sched, err := scheduler.New(job.Type, s.logger, plannedJobView{stateView{snap}, job}, planner)
	if err != nil {
		return nil, err
	}
	eval := &drover.Evaluation{
		ID: drover.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: drover.EvalTriggerJobRegister, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: drover.EvalStatusPending, AnnotatePlan: true,
	}
	if err := sched.Process(eval); err != nil {
		return nil, err
	}
	return planner, nil
}

// annotations returns the recorded plan's annotations, with an entry (all
// zero when nothing was planned) for every group of job.
func (p *dryRunPlanner) annotations(job *drover.Job) *drover.PlanAnnotations {
	out := &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{}}
	if p.plan != nil && p.plan.Annotations != nil {
		for name, u := range p.plan.Annotations.DesiredTGUpdates {
			out.DesiredTGUpdates[name] = u
		}
		out.PreemptedAllocs = p.plan.Annotations.PreemptedAllocs
	}
	for _, tg := range job.TaskGroups {
		if out.DesiredTGUpdates[tg.Name] == nil {
			out.DesiredTGUpdates[tg.Name] = &drover.DesiredUpdates{}
		}
	}
	return out
}

// jobValidate validates a job as a registration would. Problems are
// answered in the response, not as an error.
func (s *Server) jobValidate(ctx context.Context, args *drover.JobValidateRequest, reply *drover.JobValidateResponse) error {
	job, invalid, err := submittedJob(args.Job, args.Namespace, "job validate")
	if err != nil {
		return err
	}
	if invalid != nil {
		reply.ValidationErrors = problems(invalid)
		reply.Error = invalid.Error()
	}
	// Driver configs are checked against the driver's schema on the client.
	reply.DriverConfigValidated = false
	nodes, err := s.State().Nodes(nil)
	if err != nil {
		return fmt.Errorf("job validate: %w", err)
	}
	reply.Warnings = strings.Join(jobWarnings(args.Job, job, nodes), "\n")
	return nil
}

// problems lists each problem of a validation error (errors.Join'ed, each
// possibly several lines) as one string.
func problems(err error) []string {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var out []string
	for _, e := range errs {
		if e == nil {
			continue
		}
		for _, line := range strings.Split(e.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, line)
			}
		}
	}
	if len(out) == 0 {
		out = []string{err.Error()}
	}
	return out
}

// jobWarnings lists what a user should know about a job that is valid:
// submitted is the job as sent, job its canonicalized copy, nodes the
// cluster's nodes.
func jobWarnings(submitted, job *drover.Job, nodes []*drover.Node) []string {
	out := driverWarnings(job, nodes)
	out = append(out, notActedOnWarnings(submitted)...)
	return append(out, deprecationWarnings(submitted)...)
}

// deprecationWarnings names the older forms job uses that Nomad deprecated.
func deprecationWarnings(job *drover.Job) []string {
	var out []string
	if job.Update != nil && job.Update.Stagger != 0 {
		out = append(out, "update: stagger is deprecated: use max_parallel and min_healthy_time")
	}
	for _, tg := range job.TaskGroups {
		if tg.Update != nil && tg.Update.Stagger != 0 {
			out = append(out, fmt.Sprintf("group %q: update: stagger is deprecated: use max_parallel and min_healthy_time", tg.Name))
		}
		if tg.MaxClientDisconnect != nil {
			out = append(out, fmt.Sprintf("group %q: max_client_disconnect is deprecated: use disconnect { lost_after }", tg.Name))
		}
		if tg.StopAfterClientDisconnect != nil {
			out = append(out, fmt.Sprintf("group %q: stop_after_client_disconnect is deprecated: use disconnect { stop_on_client_after }", tg.Name))
		}
		for _, t := range tg.Tasks {
			if t.Resources != nil && len(t.Resources.Networks) > 0 {
				out = append(out, fmt.Sprintf("group %q: task %q: a network block in resources is deprecated: use a group network block", tg.Name, t.Name))
			}
		}
	}
	return out
}

// driverWarnings names the drivers job uses that no node offers.
func driverWarnings(job *drover.Job, nodes []*drover.Node) []string {
	offered := map[string]bool{}
	for _, n := range nodes {
		for name, d := range n.Drivers {
			if d != nil && d.Detected {
				offered[name] = true
			}
		}
		for k, v := range n.Attributes {
			if name, ok := strings.CutPrefix(k, "driver."); ok && !strings.Contains(name, ".") && v != "" && v != "0" && v != "false" {
				offered[name] = true
			}
		}
	}
	var warnings []string
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			if !offered[t.Driver] {
				warnings = append(warnings, fmt.Sprintf("group %q: task %q: driver %q is not available on any node", tg.Name, t.Name, t.Driver))
			}
		}
	}
	return warnings
}
