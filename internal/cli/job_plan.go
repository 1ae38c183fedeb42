package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/jobspec"
)

func jobPlanCommand() *command {
	return &command{
		name:     "job plan",
		args:     "[options] <file | ->",
		synopsis: "Show what running a job file would change, without changing anything",
		help: `Parses and checks the job file as job run does, then asks the servers for a dry run of its registration: nothing is registered and nothing is scheduled. Prints the field-by-field difference from the job now registered ("+" added, "-" deleted, "+/-" edited, with what each group's allocations would undergo: create, destroy, in-place update, create/destroy update, canary, ignore), the scheduler's dry run (whether every allocation could be placed, and why not), and the job modify index to pass to "drover job run -check-index" so that the job is registered only if nobody changed it since the plan.

Exit codes, as Nomad's: 0 when no allocation would be created or destroyed; 1 when allocations would be created, destroyed or replaced; 255 on errors, including an invalid job file and misuse.`,
		example: `drover job plan web.nomad.hcl
drover job plan -verbose -var 'count=3' web.nomad.hcl`,
		failCode: 255,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			jf := addJobFileFlags(fs)
			diff := fs.Bool("diff", true, "Print the difference from the registered job.")
			verbose := fs.Bool("verbose", false, "Print every field of the difference, not only those of edited blocks.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("job plan takes exactly one argument: the job file")
				}
				return jobPlan(env, af, args[0], jf.options(env), *diff, *verbose, clock(ctx)())
			}
		},
	}
}

func jobPlan(env *Env, af *apiFlags, path string, opts jobspec.Options, diff, verbose bool, now time.Time) error {
	job, err := loadJob(env, path, opts, 255)
	if err != nil {
		return err
	}
	c, err := af.client()
	if err != nil {
		return err
	}
	resp, _, err := c.Jobs().Plan(job, diff)
	if err != nil {
		return fmt.Errorf("planning job %q: %w", job.ID, err)
	}
	annotateDiff(resp.Diff, resp.Annotations)
	w := env.Stdout
	if diff && resp.Diff != nil {
		fmt.Fprintf(w, "%s\n\n", formatJobDiff(resp.Diff, verbose))
	}
	fmt.Fprintln(w, "Scheduler dry-run:")
	writeDryRun(w, resp, job, now)
	fmt.Fprintln(w)
	if resp.Annotations != nil {
		writePreemptions(w, resp.Annotations.PreemptedAllocs)
	}
	if resp.Warnings != "" {
		fmt.Fprintf(env.Stderr, "Job Warnings:\n%s\n\n", resp.Warnings)
	}
	writeCheckIndexHint(w, env.prog(), resp.JobModifyIndex, path)
	if planChangesAllocs(resp) {
		return &exitError{code: 1}
	}
	return nil
}

// evalTriggerRollingUpdate is the trigger of the evaluation that continues
// a rolling update (Nomad's name).
const evalTriggerRollingUpdate = "rolling-update"

// writeDryRun prints the scheduler's dry run: that everything fits, or
// which groups could not be placed and why; and when a periodic job would
// launch next.
func writeDryRun(w io.Writer, resp *drover.JobPlanResponse, job *drover.Job, now time.Time) {
	switch {
	case len(resp.FailedTGAllocs) == 0:
		fmt.Fprintln(w, "- All tasks successfully allocated.")
	case job.Type == drover.JobTypeSystem:
		fmt.Fprintln(w, "- WARNING: Failed to place allocations on all nodes.")
		writePlacementFailures(w, resp.FailedTGAllocs, "  ")
	default:
		fmt.Fprintln(w, "- WARNING: Failed to place all allocations.")
		writePlacementFailures(w, resp.FailedTGAllocs, "  ")
	}
	for _, e := range resp.CreatedEvals {
		if e.TriggeredBy == evalTriggerRollingUpdate {
			fmt.Fprintf(w, "- Rolling update, next evaluation will be in %s.\n", e.Wait)
		}
	}
	if next := resp.NextPeriodicLaunch; !next.IsZero() && job.ParameterizedJob == nil {
		fmt.Fprintf(w, "- If submitted now, next periodic launch would be at %s (%s).\n",
			formatTime(next), ago(now, next.UnixNano()))
	}
}

// preemptionListMax is how many preempted allocations are listed one by
// one; more are summarised per job.
const preemptionListMax = 10

// writePreemptions prints the allocations of other jobs the plan would
// evict: each one when they are few, else a count per job.
func writePreemptions(w io.Writer, preempted []*drover.AllocListStub) {
	if len(preempted) == 0 {
		return
	}
	fmt.Fprint(w, "Preemptions:\n\n")
	var rows [][]string
	if len(preempted) <= preemptionListMax {
		for _, a := range preempted {
			rows = append(rows, []string{short(a.ID), a.JobID, a.TaskGroup})
		}
		writeTable(w, []string{"Alloc ID", "Job ID", "Task Group"}, rows)
		fmt.Fprintln(w)
		return
	}
	type jobKey struct{ id, ns, typ string }
	counts := map[jobKey]int{}
	var order []jobKey
	for _, a := range preempted {
		k := jobKey{a.JobID, a.Namespace, a.JobType}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	slices.SortFunc(order, func(a, b jobKey) int { return strings.Compare(a.ns+"/"+a.id, b.ns+"/"+b.id) })
	for _, k := range order {
		rows = append(rows, []string{k.id, k.ns, k.typ, strconv.Itoa(counts[k])})
	}
	writeTable(w, []string{"Job ID", "Namespace", "Job Type", "Preemptions"}, rows)
	fmt.Fprintln(w)
}

// writeCheckIndexHint prints the job modify index and the job run command
// that registers the job only if it did not change since the plan, named
// as the user called the program (prog: drover or nomad).
func writeCheckIndexHint(w io.Writer, prog string, index uint64, path string) {
	fmt.Fprintf(w, `Job Modify Index: %d
To submit the job with version verification run:

%s job run -check-index %d %s

When running the job with the check-index flag, the job will only be run if the
job modify index given matches the server-side version. If the index has
changed, another user has modified the job and the plan's results are
potentially invalid.
`, index, prog, index, path)
}
