package cli

import (
	"context"
	"fmt"
	"sort"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// monitorWait bounds each blocking query of the monitor; the query is
// simply repeated when it times out.
const monitorWait = time.Minute

// evalMonitor follows an evaluation until it is terminal and prints, as
// Nomad's CLI does, what happened: the trigger, allocations created, status
// changes, and the placement failures at the end. It waits with blocking
// queries on the evaluation, never with sleeps.
type evalMonitor struct {
	env *Env
	c   *api.Client
	now func() time.Time
	// interruptMsg is printed when Ctrl-C ends the monitor.
	interruptMsg string

	status string          // last status seen
	seen   map[string]bool // allocations already reported
}

// monitorEval runs a monitor for evalID (interruptMsg tells the user, on
// Ctrl-C, what goes on without the monitor) and returns the command's result:
// nil when every placement was made; an *exitError with code 2 when the
// scheduler could not place some allocations; an error when the evaluation
// failed or could not be read. Cancelling ctx ends the monitor with nil.
func monitorEval(ctx context.Context, env *Env, c *api.Client, evalID, interruptMsg string) error {
	m := &evalMonitor{env: env, c: c, now: clock(ctx), interruptMsg: interruptMsg, status: drover.EvalStatusPending, seen: map[string]bool{}}
	return m.run(ctx, evalID)
}

// out prints one monitor line; headline lines start with "==> ".
func (m *evalMonitor) out(headline bool, format string, args ...any) {
	lead := "    "
	if headline {
		lead = "==> "
	}
	fmt.Fprintf(m.env.Stdout, "%s%s: %s\n", lead, formatTime(m.now()), fmt.Sprintf(format, args...))
}

func (m *evalMonitor) run(ctx context.Context, evalID string) error {
	m.out(true, "Monitoring evaluation %q", short(evalID))
	var index uint64
	first := true
	for {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: monitorWait}).WithContext(ctx)
		eval, meta, err := m.c.Evaluations().Info(evalID, q)
		if ctx.Err() != nil {
			return m.interrupted()
		}
		if err != nil {
			return fmt.Errorf("reading evaluation %q: %w", evalID, err)
		}
		if eval == nil {
			return drover.Errorf(drover.ErrNotFound, "evaluation %q not found", evalID)
		}
		if first {
			m.triggered(eval)
			first = false
		}
		if err := m.reportAllocs(ctx, eval); err != nil {
			if ctx.Err() != nil {
				return m.interrupted()
			}
			return err
		}
		if eval.Status != m.status {
			m.out(false, "Evaluation status changed: %q -> %q", m.status, eval.Status)
			m.status = eval.Status
		}
		if eval.Terminal() {
			return m.finished(eval)
		}
		if meta != nil && meta.LastIndex > index {
			index = meta.LastIndex
		}
	}
}

func (m *evalMonitor) triggered(eval *drover.Evaluation) {
	switch {
	case eval.NodeID != "":
		m.out(false, "Evaluation triggered by node %q", short(eval.NodeID))
	default:
		m.out(false, "Evaluation triggered by job %q", eval.JobID)
	}
}

// reportAllocs prints the evaluation's allocations not reported yet:
// "created" for new placements, "modified" for allocations older than the
// evaluation that it updated (or stopped).
func (m *evalMonitor) reportAllocs(ctx context.Context, eval *drover.Evaluation) error {
	allocs, _, err := m.c.Evaluations().Allocations(eval.ID, (*api.QueryOptions)(nil).WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reading allocations of evaluation %q: %w", eval.ID, err)
	}
	sort.SliceStable(allocs, func(i, j int) bool {
		if allocs[i].CreateIndex != allocs[j].CreateIndex {
			return allocs[i].CreateIndex < allocs[j].CreateIndex
		}
		return allocs[i].Name < allocs[j].Name
	})
	for _, a := range allocs {
		if m.seen[a.ID] {
			continue
		}
		m.seen[a.ID] = true
		switch {
		case a.CreateIndex < eval.CreateIndex:
			m.out(false, "Allocation %q modified: node %q, group %q", short(a.ID), short(a.NodeID), a.TaskGroup)
		case a.DesiredStatus == drover.AllocDesiredStatusRun:
			m.out(false, "Allocation %q created: node %q, group %q", short(a.ID), short(a.NodeID), a.TaskGroup)
		}
	}
	return nil
}

// finished prints the last lines for a terminal evaluation.
func (m *evalMonitor) finished(eval *drover.Evaluation) error {
	if len(eval.FailedTGAllocs) > 0 {
		m.out(true, "Evaluation %q finished with status %q but failed to place all allocations:", short(eval.ID), eval.Status)
		writePlacementFailures(m.env.Stdout, eval.FailedTGAllocs, "    ")
		if eval.BlockedEval != "" {
			fmt.Fprintf(m.env.Stdout, "    Evaluation %q waiting for additional capacity to place remainder\n", short(eval.BlockedEval))
		}
		return &exitError{code: 2}
	}
	m.out(true, "Evaluation %q finished with status %q", short(eval.ID), eval.Status)
	if eval.Status != drover.EvalStatusComplete {
		desc := eval.StatusDescription
		if desc == "" {
			desc = "no description"
		}
		return fmt.Errorf("evaluation %q ended %s: %s", short(eval.ID), eval.Status, desc)
	}
	return nil
}

// interrupted ends a monitor stopped by Ctrl-C: the job itself is not
// affected, which the user is told.
func (m *evalMonitor) interrupted() error {
	fmt.Fprintf(m.env.Stderr, "==> %s: Monitoring interrupted: %s\n", formatTime(m.now()), namedHint(m.env.prog(), m.interruptMsg))
	return nil
}
