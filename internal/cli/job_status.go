package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

func jobStatusCommand() *command {
	return &command{
		name:     "job status",
		args:     "[options] [job]",
		synopsis: "List jobs, or show one job's status and allocations",
		help:     `Without a job, lists every job. With a job ID (or a unique prefix of one), shows the job, a summary of its allocations per task group, why the scheduler could not place allocations (if it could not), and the job's allocations.`,
		example: `drover job status
drover job status hello
drover job status -json hello`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			asJSON := fs.Bool("json", false, "Print the job (or the job list) as JSON.")
			shortOut := fs.Bool("short", false, "Print only the job's header, without summary, placement failures and allocations.")
			all := fs.Bool("all-allocs", false, "List the allocations of every version of the job, not only the current one's.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) > 1 {
					return usagef("job status takes at most one argument: the job ID")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				if len(args) == 0 {
					return jobList(env, c, *asJSON)
				}
				return jobStatus(ctx, env, c, args[0], jobStatusOpts{json: *asJSON, short: *shortOut, all: *all})
			}
		},
	}
}

type jobStatusOpts struct{ json, short, all bool }

func jobList(env *Env, c *api.Client, asJSON bool) error {
	jobs, _, err := c.Jobs().List(nil)
	if err != nil {
		return fmt.Errorf("listing jobs: %w", err)
	}
	if asJSON {
		if jobs == nil {
			jobs = []*drover.JobListStub{}
		}
		return writeJSON(env.Stdout, jobs)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(env.Stdout, "No running jobs")
		return nil
	}
	writeJobList(env.Stdout, jobs)
	return nil
}

// writeJobList prints the jobs table.
func writeJobList(w io.Writer, jobs []*drover.JobListStub) {
	rows := make([][]string, 0, len(jobs))
	for _, j := range jobs {
		rows = append(rows, []string{j.ID, listType(j), fmt.Sprint(j.Priority), jobStatusText(j.Status, j.Stop), formatUnixNano(j.SubmitTime)})
	}
	writeTable(w, []string{"ID", "Type", "Priority", "Status", "Submit Date"}, rows)
}

// jobStatusText is the job's status as Nomad prints it: a stopped job that
// is not yet dead says so.
func jobStatusText(status string, stop bool) string {
	if stop && status != drover.JobStatusDead {
		return status + " (stopped)"
	}
	if stop {
		return "dead (stopped)"
	}
	return status
}

func jobStatus(ctx context.Context, env *Env, c *api.Client, prefix string, opts jobStatusOpts) error {
	id, err := resolveJob(c, prefix)
	if err != nil {
		return err
	}
	job, _, err := c.Jobs().Info(id, nil)
	if err != nil {
		return fmt.Errorf("reading job %q: %w", id, err)
	}
	if opts.json {
		return writeJSON(env.Stdout, job)
	}
	w := env.Stdout
	now := clock(ctx)()
	writeKV(w, append([]kv{
		{"ID", job.ID},
		{"Name", job.Name},
		{"Submit Date", formatUnixNano(job.SubmitTime)},
		{"Type", job.Type},
		{"Priority", fmt.Sprint(job.Priority)},
		{"Datacenters", strings.Join(job.Datacenters, ",")},
		{"Namespace", job.Namespace},
		{"Node Pool", job.NodePool},
		{"Status", jobStatusText(job.Status, job.Stop)},
		{"Version", fmt.Sprint(job.Version)},
	}, parentKV(job, now)...))
	if opts.short {
		return nil
	}
	summary, _, err := c.Jobs().Summary(id, nil)
	if err != nil {
		return fmt.Errorf("reading summary of job %q: %w", id, err)
	}
	if job.IsParent() {
		// A parent has no allocations of its own: its children are
		// what it runs.
		return writeChildren(w, c, job, summary)
	}
	writeJobSummary(w, summary)
	evals, _, err := c.Jobs().Evaluations(id, nil)
	if err != nil {
		return fmt.Errorf("reading evaluations of job %q: %w", id, err)
	}
	if latest := latestEval(evals); latest != nil && len(latest.FailedTGAllocs) > 0 {
		fmt.Fprint(w, "\nPlacement Failure\n")
		writePlacementFailures(w, latest.FailedTGAllocs, "")
		if latest.BlockedEval != "" {
			fmt.Fprintf(w, "Evaluation %q waiting for additional capacity to place remainder\n", short(latest.BlockedEval))
		}
	}
	allocs, _, err := c.Jobs().Allocations(id, opts.all, nil)
	if err != nil {
		return fmt.Errorf("reading allocations of job %q: %w", id, err)
	}
	fmt.Fprint(w, "\nAllocations\n")
	if len(allocs) == 0 {
		fmt.Fprintln(w, "No allocations placed")
		return nil
	}
	writeTable(w, allocStubHeader, allocStubRows(now, allocs))
	return nil
}

// writeJobSummary prints the per-group counts of allocations.
func writeJobSummary(w io.Writer, s *drover.JobSummary) {
	if s == nil || len(s.Summary) == 0 {
		return
	}
	fmt.Fprint(w, "\nSummary\n")
	var rows [][]string
	for _, g := range sortedKeys(s.Summary) {
		c := s.Summary[g]
		rows = append(rows, []string{g, fmt.Sprint(c.Queued), fmt.Sprint(c.Starting), fmt.Sprint(c.Running),
			fmt.Sprint(c.Failed), fmt.Sprint(c.Complete), fmt.Sprint(c.Lost)})
	}
	writeTable(w, []string{"Task Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost"}, rows)
}

// latestEval returns the newest evaluation that is not a blocked one
// waiting for capacity: its FailedTGAllocs say why placements are missing.
func latestEval(evals []*drover.Evaluation) *drover.Evaluation {
	var latest *drover.Evaluation
	for _, e := range evals {
		if e.Status == drover.EvalStatusBlocked {
			continue
		}
		if latest == nil || e.CreateIndex > latest.CreateIndex {
			latest = e
		}
	}
	return latest
}

// sortAllocsNewestFirst orders full allocations by creation, newest first.
func sortAllocsNewestFirst(allocs []*drover.Allocation) {
	sort.SliceStable(allocs, func(i, j int) bool {
		if allocs[i].CreateIndex != allocs[j].CreateIndex {
			return allocs[i].CreateIndex > allocs[j].CreateIndex
		}
		return allocs[i].Name < allocs[j].Name
	})
}
