package cli

import "github.com/drover-sh/drover"

// lifecycleLabel names a task's lifecycle as Nomad's alloc status does:
// " (prestart)", " (poststart sidecar)", ...; "" for a main task or a task
// the allocation's job does not list.
func lifecycleLabel(a *drover.Allocation, task string) string {
	if a.Job == nil {
		return ""
	}
	tg := a.Job.LookupTaskGroup(a.TaskGroup)
	if tg == nil {
		return ""
	}
	t := tg.LookupTask(task)
	hook := t.LifecycleHook()
	switch {
	case hook == "":
		return ""
	case t.IsSidecar():
		return " (" + hook + " sidecar)"
	default:
		return " (" + hook + ")"
	}
}
