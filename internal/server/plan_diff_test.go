package server

import (
	"reflect"
	"testing"

	"github.com/drover-sh/drover"
)

func TestAnnotateDiff(t *testing.T) {
	inPlace := func() *drover.JobDiff {
		return &drover.JobDiff{Type: drover.DiffTypeEdited, TaskGroups: []*drover.TaskGroupDiff{{
			Type: drover.DiffTypeEdited, Name: "g",
			Tasks: []*drover.TaskDiff{{Type: drover.DiffTypeEdited, Name: "t", Annotations: []string{drover.AnnotationForcesInplaceUpdate}}},
		}}}
	}
	tests := []struct {
		name        string
		updates     *drover.DesiredUpdates
		wantUpdates map[string]uint64
		wantTask    string
	}{
		{"replaced: the annotation says so", &drover.DesiredUpdates{DestructiveUpdate: 2, Place: 1},
			map[string]uint64{"create/destroy update": 2, "create": 1}, drover.AnnotationForcesDestructive},
		{"updated in place: kept", &drover.DesiredUpdates{InPlaceUpdate: 2, Ignore: 1},
			map[string]uint64{"in-place update": 2, "ignore": 1}, drover.AnnotationForcesInplaceUpdate},
		{"all counts", &drover.DesiredUpdates{Stop: 1, Migrate: 2, Canary: 3},
			map[string]uint64{"destroy": 1, "migrate": 2, "canary": 3}, drover.AnnotationForcesInplaceUpdate},
	}
	for _, tt := range tests {
		d := inPlace()
		annotateDiff(d, &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{"g": tt.updates}})
		tg := d.TaskGroups[0]
		if !reflect.DeepEqual(tg.Updates, tt.wantUpdates) {
			t.Errorf("%s: Updates %v, want %v", tt.name, tg.Updates, tt.wantUpdates)
		}
		if got := tg.Tasks[0].Annotations; len(got) != 1 || got[0] != tt.wantTask {
			t.Errorf("%s: task annotations %v, want %q", tt.name, got, tt.wantTask)
		}
	}
	// No annotations for the group: the diff is left as it is.
	d := inPlace()
	annotateDiff(d, &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{}})
	if d.TaskGroups[0].Updates != nil {
		t.Errorf("Updates %v for a group the scheduler did not annotate", d.TaskGroups[0].Updates)
	}
	annotateDiff(nil, nil) // must not panic
}
