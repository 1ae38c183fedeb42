package server

import (
	"github.com/drover-sh/drover"
)

// jobDiff is old.Diff(new, contextual); old may be nil (a new job).
func jobDiff(old, new *drover.Job, contextual bool) (*drover.JobDiff, error) {
	return old.Diff(new, contextual)
}

// annotateDiff adds to a plan's diff what the scheduler would do: each
// group's Updates counts (by drover.UpdateType*). The diff already says what
// each change forces, by Nomad's rules; where it says a task's change is
// applied in place but the scheduler would replace the group's allocations
// instead (it has no in-place updates yet), the task's annotation is
// corrected to what will happen.
func annotateDiff(diff *drover.JobDiff, ann *drover.PlanAnnotations) {
	if diff == nil || ann == nil {
		return
	}
	for _, tg := range diff.TaskGroups {
		u := ann.DesiredTGUpdates[tg.Name]
		if u == nil {
			continue
		}
		tg.Updates = groupUpdates(u)
		if u.DestructiveUpdate == 0 || u.InPlaceUpdate > 0 {
			continue
		}
		for _, t := range tg.Tasks {
			for i, a := range t.Annotations {
				if a == drover.AnnotationForcesInplaceUpdate {
					t.Annotations[i] = drover.AnnotationForcesDestructive
				}
			}
		}
	}
}

// groupUpdates turns a group's desired updates into the diff's counts,
// leaving out kinds that are 0.
func groupUpdates(u *drover.DesiredUpdates) map[string]uint64 {
	out := map[string]uint64{}
	add := func(kind string, n uint64) {
		if n > 0 {
			out[kind] = n
		}
	}
	add(drover.UpdateTypeIgnore, u.Ignore)
	add(drover.UpdateTypeCreate, u.Place)
	add(drover.UpdateTypeDestroy, u.Stop)
	add(drover.UpdateTypeMigrate, u.Migrate)
	add(drover.UpdateTypeCanary, u.Canary)
	add(drover.UpdateTypeInplaceUpdate, u.InPlaceUpdate)
	add(drover.UpdateTypeDestructiveUpdate, u.DestructiveUpdate)
	return out
}
