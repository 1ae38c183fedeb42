package server

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
	"github.com/drover-sh/drover/internal/state"
)

// jobRegister validates and writes a job with its job-register evaluation in
// one Raft command.
func (s *Server) jobRegister(ctx context.Context, args *drover.JobRegisterRequest, reply *drover.JobRegisterResponse) error {
	if done, err := s.forward(ctx, drover.MethodJobRegister, args, reply); done {
		return err
	}
	if err := s.registrationAllowed(); err != nil {
		return err
	}
	job, invalid, err := submittedJob(args.Job, args.Namespace, "job register")
	if err != nil {
		return err
	}
	// What drover can't run yet is refused first: its validation may
	// report the same thing as a plain problem.
	if err := unsupportedJob(job); err != nil {
		return err
	}
	if invalid != nil {
		return drover.Errorf(drover.ErrInvalid, "job validation failed: %w", invalid)
	}
	st := s.State()
	existing, err := st.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return fmt.Errorf("job register: %w", err)
	}
	if args.EnforceIndex {
		if err := checkEnforceIndex(existing, args.JobModifyIndex); err != nil {
			return err
		}
	}
	now := time.Now().UnixNano()
	job.SubmitTime = now
	eval := &drover.Evaluation{
		ID: drover.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: drover.EvalTriggerJobRegister, JobID: job.ID,
		Status: drover.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	if existing != nil {
		eval.JobModifyIndex = existing.JobModifyIndex
	}
	index, err := s.raftApply(ctx, fsm.JobRegisterRequestType, &fsm.JobRegisterRequest{Job: job, Eval: eval})
	if err != nil {
		return fmt.Errorf("job register %q: %w", job.ID, err)
	}
	reply.EvalID, reply.EvalCreateIndex, reply.Index = eval.ID, index, index
	reply.JobModifyIndex = index
	if stored, err := s.State().JobByID(nil, job.Namespace, job.ID); err == nil && stored != nil {
		reply.JobModifyIndex = stored.JobModifyIndex
	}
	if nodes, err := s.State().Nodes(nil); err == nil {
		reply.Warnings = strings.Join(jobWarnings(args.Job, job, nodes), "\n")
	}
	return nil
}

// checkEnforceIndex enforces a check-and-set registration.
func checkEnforceIndex(existing *drover.Job, want uint64) error {
	switch {
	case existing == nil && want != 0:
		return drover.Errorf(drover.ErrConflict, "enforcing job modify index %d: job does not exist", want)
	case existing != nil && existing.JobModifyIndex != want:
		return drover.Errorf(drover.ErrConflict, "enforcing job modify index %d: job exists with conflicting job modify index %d", want, existing.JobModifyIndex)
	}
	return nil
}

// jobDeregister stops (or purges) a job with its job-deregister evaluation.
func (s *Server) jobDeregister(ctx context.Context, args *drover.JobDeregisterRequest, reply *drover.JobDeregisterResponse) error {
	if done, err := s.forward(ctx, drover.MethodJobDeregister, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	job, err := s.State().JobByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("job deregister: %w", err)
	}
	if job == nil {
		return drover.Errorf(drover.ErrNotFound, "job %q not found", args.JobID)
	}
	now := time.Now().UnixNano()
	eval := &drover.Evaluation{
		ID: drover.GenerateID(), Namespace: ns, Priority: job.Priority, Type: job.Type,
		TriggeredBy: drover.EvalTriggerJobDeregister, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: drover.EvalStatusPending, CreateTime: now, ModifyTime: now,
	}
	index, err := s.raftApply(ctx, fsm.JobDeregisterRequestType, &fsm.JobDeregisterRequest{
		Namespace: ns, JobID: job.ID, Purge: args.Purge, Eval: eval,
	})
	if err != nil {
		return fmt.Errorf("job deregister %q: %w", args.JobID, err)
	}
	reply.EvalID, reply.EvalCreateIndex, reply.JobModifyIndex, reply.Index = eval.ID, index, index, index
	return nil
}

func (s *Server) jobGetJob(ctx context.Context, args *drover.JobSpecificRequest, reply *drover.SingleJobResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		job, err := st.JobByID(ws, namespaceOf(args.Namespace), args.JobID)
		if err != nil {
			return 0, err
		}
		reply.Job = job
		if job != nil {
			return job.ModifyIndex, nil
		}
		return tableIndex(st, state.TableJobs)
	})
}

func (s *Server) jobList(ctx context.Context, args *drover.JobListRequest, reply *drover.JobListResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		jobs, err := st.JobsByIDPrefix(ws, namespaceOf(args.Namespace), args.Prefix)
		if err != nil {
			return 0, err
		}
		stubs := make([]*drover.JobListStub, 0, len(jobs))
		for _, j := range jobs {
			sum, err := st.JobSummaryByID(ws, j.Namespace, j.ID)
			if err != nil {
				return 0, err
			}
			stubs = append(stubs, j.Stub(sum))
		}
		sort.Slice(stubs, func(i, k int) bool { return stubs[i].ID < stubs[k].ID })
		reply.Jobs = stubs
		return tableIndex(st, state.TableJobs, state.TableJobSummary)
	})
}

func (s *Server) jobAllocations(ctx context.Context, args *drover.JobSpecificRequest, reply *drover.JobAllocationsResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		allocs, err := st.AllocsByJob(ws, namespaceOf(args.Namespace), args.JobID, args.All)
		if err != nil {
			return 0, err
		}
		reply.Allocations = allocStubs(allocs)
		return tableIndex(st, state.TableAllocs)
	})
}

func (s *Server) jobEvaluations(ctx context.Context, args *drover.JobSpecificRequest, reply *drover.JobEvaluationsResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		evals, err := st.EvalsByJob(ws, namespaceOf(args.Namespace), args.JobID)
		if err != nil {
			return 0, err
		}
		reply.Evaluations = evals
		return tableIndex(st, state.TableEvals)
	})
}

func (s *Server) jobSummary(ctx context.Context, args *drover.JobSpecificRequest, reply *drover.JobSummaryResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		sum, err := st.JobSummaryByID(ws, namespaceOf(args.Namespace), args.JobID)
		if err != nil {
			return 0, err
		}
		reply.JobSummary = sum
		if sum != nil {
			return sum.ModifyIndex, nil
		}
		return tableIndex(st, state.TableJobSummary)
	})
}

func allocStubs(allocs []*drover.Allocation) []*drover.AllocListStub {
	out := make([]*drover.AllocListStub, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, a.Stub())
	}
	return out
}
