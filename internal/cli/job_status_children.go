package cli

import (
	"fmt"
	"io"
	"sort"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// listType is a job's type in the jobs table; parents are marked, as in
// Nomad's list ("batch/periodic", "batch/parameterized").
func listType(j *drover.JobListStub) string {
	switch {
	case j.Periodic:
		return j.Type + "/periodic"
	case j.ParameterizedJob:
		return j.Type + "/parameterized"
	}
	return j.Type
}

// parentKV returns the extra header rows of a parent or child job: whether
// it is periodic or parameterized and, for an active periodic job, its next
// launch after now (computed here from the schedule, as Nomad's CLI does);
// the parent of a child.
func parentKV(job *drover.Job, now time.Time) []kv {
	var out []kv
	if job.ParentID != "" {
		out = append(out, kv{"Parent ID", job.ParentID})
	}
	if !job.IsParent() {
		return out
	}
	out = append(out, kv{"Periodic", fmt.Sprint(job.IsPeriodic())}, kv{"Parameterized", fmt.Sprint(job.IsParameterized())})
	if job.IsPeriodicActive() {
		next, err := job.Periodic.Next(now)
		switch {
		case err != nil:
			out = append(out, kv{"Next Periodic Launch", "unknown: " + err.Error()})
		case next.IsZero():
			out = append(out, kv{"Next Periodic Launch", "none"})
		default:
			out = append(out, kv{"Next Periodic Launch", fmt.Sprintf("%s (%s)", formatTime(next), ago(now, next.UnixNano()))})
		}
	}
	return out
}

// writeChildren prints a parent's children: the counts by status, then
// its launched (periodic) or dispatched (parameterized) jobs, newest first.
func writeChildren(w io.Writer, c *api.Client, job *drover.Job, summary *drover.JobSummary) error {
	var counts drover.JobChildrenSummary
	if summary != nil && summary.Children != nil {
		counts = *summary.Children
	}
	fmt.Fprint(w, "\nChildren Job Summary\n")
	writeTable(w, []string{"Pending", "Running", "Dead"},
		[][]string{{fmt.Sprint(counts.Pending), fmt.Sprint(counts.Running), fmt.Sprint(counts.Dead)}})

	infix, title, none := drover.PeriodicLaunchSuffix, "Previously Launched Jobs", "No instances of periodic job found"
	if job.IsParameterized() {
		infix, title, none = drover.DispatchLaunchSuffix, "Dispatched Jobs", "No dispatched instances of parameterized job found"
	}
	stubs, _, err := c.Jobs().List(&api.QueryOptions{Prefix: job.ID + infix})
	if err != nil {
		return fmt.Errorf("listing children of job %q: %w", job.ID, err)
	}
	var children []*drover.JobListStub
	for _, s := range stubs {
		if s.ParentID == job.ID {
			children = append(children, s)
		}
	}
	fmt.Fprintf(w, "\n%s\n", title)
	if len(children) == 0 {
		fmt.Fprintln(w, none)
		return nil
	}
	sort.SliceStable(children, func(i, k int) bool {
		if children[i].SubmitTime != children[k].SubmitTime {
			return children[i].SubmitTime > children[k].SubmitTime
		}
		return children[i].ID > children[k].ID
	})
	rows := make([][]string, 0, len(children))
	for _, ch := range children {
		rows = append(rows, []string{ch.ID, jobStatusText(ch.Status, ch.Stop)})
	}
	writeTable(w, []string{"ID", "Status"}, rows)
	return nil
}

// printNextLaunch tells, after a periodic job was registered, when it
// launches first, as Nomad's job run does.
func printNextLaunch(env *Env, job *drover.Job, now time.Time) {
	if !job.IsPeriodicActive() {
		return
	}
	if next, err := job.Periodic.Next(now); err == nil && !next.IsZero() {
		fmt.Fprintf(env.Stdout, "Approximate next launch time: %s (%s)\n", formatTime(next), ago(now, next.UnixNano()))
	}
}
