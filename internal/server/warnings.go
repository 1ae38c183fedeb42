package server

import (
	"fmt"
	"strings"

	"github.com/drover-sh/drover"
)

// notActedOnWarnings names the blocks of job that drover accepts, stores
// and shows in plans but does not act on yet, so that a job using them is
// never silently run without them. Policies every job gets by default
// (reschedule, migrate) are documented rather than warned about.
func notActedOnWarnings(job *drover.Job) []string {
	var out []string
	add := func(where string, names []string) {
		if len(names) > 0 {
			out = append(out, fmt.Sprintf("%snot acted on yet, ignored for now: %s", where, strings.Join(names, ", ")))
		}
	}
	for _, tg := range job.TaskGroups {
		var g []string
		if u := tg.Update; u != nil && (u.MaxParallel > 0 || u.Canary > 0) {
			g = append(g, "update (a new version replaces allocations without a rolling deployment)")
		}
		if len(tg.Services) > 0 {
			g = append(g, "service")
		}
		if len(tg.Volumes) > 0 {
			g = append(g, "volume (a host volume decides placement but is not mounted into tasks)")
		}
		g = append(g, disconnectNotActedOn(tg)...)
		for _, n := range tg.Networks {
			if n.DNS != nil {
				g = append(g, "network dns")
				break
			}
		}
		add(fmt.Sprintf("group %q: ", tg.Name), g)
		for _, t := range tg.Tasks {
			var tb []string
			for _, b := range []struct {
				name string
				set  bool
			}{
				{"service", len(t.Services) > 0},
				{"template", len(t.Templates) > 0},
				{"volume_mount", len(t.VolumeMounts) > 0},
				{"identity", t.Identity != nil || len(t.Identities) > 0},
			} {
				if b.set {
					tb = append(tb, b.name)
				}
			}
			add(fmt.Sprintf("group %q: task %q: ", tg.Name, t.Name), tb)
		}
	}
	return out
}

// disconnectNotActedOn names the parts of a group's disconnect settings
// that are not acted on yet. stop_on_client_after (and the older
// stop_after_client_disconnect) is: the client stops the allocation and the
// replacement waits for it. So is replace = true, the default, which is what
// happens to a lost allocation anyway.
func disconnectNotActedOn(tg *drover.TaskGroup) []string {
	var out []string
	d := tg.Disconnect
	if (d != nil && d.LostAfter > 0) || (tg.MaxClientDisconnect != nil && *tg.MaxClientDisconnect > 0) {
		out = append(out, "disconnect lost_after and reconcile (allocations on a node that misses its heartbeats are lost and replaced at once)")
	} else if d != nil && d.Reconcile != "" && d.Reconcile != drover.DefaultDisconnectReconcile {
		out = append(out, fmt.Sprintf("disconnect reconcile %q", d.Reconcile))
	}
	if d != nil && d.Replace != nil && !*d.Replace {
		out = append(out, "disconnect replace = false (lost allocations are replaced)")
	}
	return out
}

// withoutDeprecations drops the deprecation lines of warnings.
func withoutDeprecations(warnings string) string {
	var keep []string
	for _, line := range strings.Split(warnings, "\n") {
		if line != "" && !strings.Contains(line, " is deprecated") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
