package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	drover "github.com/drover-sh/drover"
)

func evalStatusCommand() *command {
	return &command{
		name:     "eval status",
		args:     "[options] <eval>",
		synopsis: "Show an evaluation and why placements failed",
		help:     `Shows an evaluation (an ID, or a unique prefix of one): what triggered it, its status, and, when the scheduler could not place every allocation, why, per task group, and the blocked evaluation that waits for capacity.`,
		example:  `drover eval status d3a1c4f0`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			asJSON := fs.Bool("json", false, "Print the evaluation as JSON.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("eval status takes exactly one argument: the evaluation ID")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				id, err := resolveEval(c, args[0])
				if err != nil {
					return err
				}
				eval, _, err := c.Evaluations().Info(id, nil)
				if err != nil {
					return fmt.Errorf("reading evaluation %q: %w", id, err)
				}
				if *asJSON {
					return writeJSON(env.Stdout, eval)
				}
				writeEvalStatus(env.Stdout, clock(ctx)(), eval)
				return nil
			}
		},
	}
}

// writeEvalStatus prints an evaluation and its placement failures.
func writeEvalStatus(w io.Writer, now time.Time, e *drover.Evaluation) {
	writeKV(w, []kv{
		{"ID", e.ID},
		{"Create Time", ago(now, e.CreateTime)},
		{"Modify Time", ago(now, e.ModifyTime)},
		{"Status", e.Status},
		{"Status Description", e.StatusDescription},
		{"Type", e.Type},
		{"TriggeredBy", e.TriggeredBy},
		{"Job ID", e.JobID},
		{"Node ID", short(e.NodeID)},
		{"Priority", fmt.Sprint(e.Priority)},
		{"Placement Failures", fmt.Sprint(len(e.FailedTGAllocs) > 0)},
		{"Previous Eval", short(e.PreviousEval)},
		{"Next Eval", short(e.NextEval)},
		{"Blocked Eval", short(e.BlockedEval)},
	})
	if len(e.FailedTGAllocs) == 0 {
		return
	}
	fmt.Fprint(w, "\nFailed Placements\n")
	writePlacementFailures(w, e.FailedTGAllocs, "")
	if e.BlockedEval != "" {
		fmt.Fprintf(w, "\nEvaluation %q waiting for additional capacity to place remainder\n", short(e.BlockedEval))
	}
}

// writeEvalList prints the evaluations table.
func writeEvalList(w io.Writer, evals []*drover.Evaluation) {
	rows := make([][]string, 0, len(evals))
	for _, e := range evals {
		rows = append(rows, []string{short(e.ID), fmt.Sprint(e.Priority), e.TriggeredBy, e.JobID,
			e.Status, fmt.Sprint(len(e.FailedTGAllocs) > 0)})
	}
	writeTable(w, []string{"ID", "Priority", "Triggered By", "Job ID", "Status", "Placement Failures"}, rows)
}
