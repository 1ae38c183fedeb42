package scheduler

import (
	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/reconcile"
)

// annotations turns the reconciler's per-group counts into the plan
// annotations `job plan` shows. The reconciler counts a destructive update's
// replacement as a placement and a lost allocation apart from stops; the
// annotations, like Nomad's, count a destructive update once (as
// DestructiveUpdate, not as Place) and a lost allocation as a stop. Canary
// stays 0 until deployments exist.
func annotations(res *reconcile.Result) *drover.PlanAnnotations {
	out := &drover.PlanAnnotations{DesiredTGUpdates: make(map[string]*drover.DesiredUpdates, len(res.DesiredTGUpdates))}
	for name, u := range res.DesiredTGUpdates {
		out.DesiredTGUpdates[name] = &drover.DesiredUpdates{
			Place:             uint64(max(u.Place-u.DestructiveUpdate, 0)),
			Stop:              uint64(u.Stop + u.Lost),
			Ignore:            uint64(u.Ignore),
			Migrate:           uint64(u.Migrate),
			InPlaceUpdate:     uint64(u.InPlaceUpdate),
			DestructiveUpdate: uint64(u.DestructiveUpdate),
		}
	}
	return out
}
