package server

import (
	"time"

	"github.com/drover-sh/drover"
)

// allocFailureEvals returns one pending evaluation (TriggeredBy
// alloc-failure) per job with an allocation that clients now report failed
// for the first time, so the scheduler reschedules it per the job's
// reschedule policy. Allocations the servers already stopped, of jobs gone
// or stopped, or of groups whose policy never reschedules need none. The
// evaluations are committed with the client updates, in the same Raft
// command. A state read error is logged and yields no evaluation for that
// allocation: the client update matters more.
func (s *Server) allocFailureEvals(updates []*drover.Allocation) []*drover.Evaluation {
	var evals []*drover.Evaluation
	seen := map[jobKey]bool{}
	st := s.State()
	now := time.Now().UnixNano()
	for _, u := range updates {
		if u.ClientStatus != drover.AllocClientStatusFailed {
			continue
		}
		a, err := st.AllocByID(nil, u.ID)
		if err != nil {
			s.logger.Warn("alloc failure: read alloc", "alloc_id", u.ID, "error", err)
			continue
		}
		if a == nil || a.ClientStatus == drover.AllocClientStatusFailed || a.ServerTerminal() {
			continue
		}
		k := jobKey{a.Namespace, a.JobID}
		if seen[k] {
			continue
		}
		job, err := st.JobByID(nil, a.Namespace, a.JobID)
		if err != nil {
			s.logger.Warn("alloc failure: read job", "job_id", a.JobID, "error", err)
			continue
		}
		if job == nil || job.Stop {
			continue
		}
		if tg := job.LookupTaskGroup(a.TaskGroup); tg == nil || tg.ReschedulePolicy.Disabled() {
			continue
		}
		seen[k] = true
		evals = append(evals, &drover.Evaluation{
			ID: drover.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
			TriggeredBy: drover.EvalTriggerAllocFailure, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
			Status: drover.EvalStatusPending, CreateTime: now, ModifyTime: now,
		})
	}
	return evals
}
