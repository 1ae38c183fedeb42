package reconcile

import drover "github.com/drover-sh/drover"

// UpdateNeeded says how alloc must change to run job, by the rule the
// reconciler applies to its own groups (see classifyUpdate): not at all, in
// place (the allocation keeps running and takes the new version) or
// destructively (it is replaced). The system scheduler, which reconciles per
// node rather than per count, uses it so both classify updates alike.
func UpdateNeeded(alloc *drover.Allocation, job *drover.Job) (inPlace, destructive bool) {
	switch classifyUpdate(alloc, job) {
	case updateInPlace:
		return true, false
	case updateDestructive:
		return false, true
	}
	return false, false
}
