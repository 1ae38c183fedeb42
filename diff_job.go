package drover

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
)

// Diff returns the field-by-field difference from j (the old version; nil
// for a new job: Added) to other (the new version; nil: Deleted), in Nomad's
// JobDiff shape:
//   - primitive fields flattened with Nomad's names ("Priority",
//     "Meta[owner]"), durations written as Go durations ("30s");
//   - blocks as ObjectDiffs ("Constraint", "Periodic", "Update", "Service",
//     "Config" with its flattened keys "args[0]", ...);
//   - groups matched by name, tasks by name, services by name and port,
//     checks by name, ports by label, templates by destination, other lists
//     by position, constraints and affinities as sets;
//   - server-set fields (indexes, Version, Status, SubmitTime, Stable) are
//     ignored, and so are the job-level update, migrate and reschedule
//     blocks, which Canonicalize merged into each group.
//
// Unchanged groups and tasks are listed with Type None and nothing in them.
// Within what changed, unchanged fields and blocks are left out unless
// contextual, which keeps them (Type None) so a reader sees the change in
// context, as nomad job plan -verbose shows it. Each changed task is annotated
// with what the change forces ("forces create/destroy update", "forces
// in-place update", ...). Everything is sorted, so equal inputs give equal
// output. Diffing jobs with different IDs is an error.
func (j *Job) Diff(other *Job, contextual bool) (*JobDiff, error) {
	diff := &JobDiff{Type: DiffTypeNone}
	var oldV, newV reflect.Value
	switch {
	case j == nil && other == nil:
		return diff, nil
	case j == nil:
		diff.Type, diff.ID = DiffTypeAdded, other.ID
		newV = reflect.ValueOf(*other)
	case other == nil:
		diff.Type, diff.ID = DiffTypeDeleted, j.ID
		oldV = reflect.ValueOf(*j)
	default:
		if j.ID != other.ID {
			return nil, fmt.Errorf("cannot diff jobs with different IDs: %q and %q", j.ID, other.ID)
		}
		diff.ID = other.ID
		oldV, newV = reflect.ValueOf(*j), reflect.ValueOf(*other)
	}
	e := diffEntity(oldV, newV, contextual)
	diff.TaskGroups = taskGroupDiffs(groupsOf(j), groupsOf(other), contextual)
	changed := e.changed()
	for _, tg := range diff.TaskGroups {
		changed = changed || tg.Type != DiffTypeNone
	}
	if diff.Type == DiffTypeNone && changed {
		diff.Type = DiffTypeEdited
	}
	if diff.Type != DiffTypeNone {
		diff.Fields = pruneFields(e.fields, contextual)
		diff.Objects = prune(e.objects, contextual)
	}
	return diff, nil
}

func groupsOf(j *Job) []*TaskGroup {
	if j == nil {
		return nil
	}
	return j.TaskGroups
}

// taskGroupDiffs matches groups by name; the result is sorted by name.
func taskGroupDiffs(old, new []*TaskGroup, contextual bool) []*TaskGroupDiff {
	byName := map[string][2]*TaskGroup{}
	for _, tg := range compact(old) {
		p := byName[tg.Name]
		p[0] = tg
		byName[tg.Name] = p
	}
	for _, tg := range compact(new) {
		p := byName[tg.Name]
		p[1] = tg
		byName[tg.Name] = p
	}
	out := make([]*TaskGroupDiff, 0, len(byName))
	for name, p := range byName {
		out = append(out, taskGroupDiff(name, p[0], p[1], contextual))
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

func taskGroupDiff(name string, old, new *TaskGroup, contextual bool) *TaskGroupDiff {
	d := &TaskGroupDiff{Name: name, Type: DiffTypeNone}
	e := diffEntity(valueOf(old), valueOf(new), contextual)
	var oldTasks, newTasks []*Task
	switch {
	case old == nil:
		d.Type = DiffTypeAdded
		newTasks = new.Tasks
	case new == nil:
		d.Type = DiffTypeDeleted
		oldTasks = old.Tasks
	default:
		oldTasks, newTasks = old.Tasks, new.Tasks
	}
	d.Tasks = taskDiffs(oldTasks, newTasks, d.Type, contextual)
	changed := e.changed()
	for _, t := range d.Tasks {
		changed = changed || t.Type != DiffTypeNone
	}
	if d.Type == DiffTypeNone && changed {
		d.Type = DiffTypeEdited
	}
	if d.Type != DiffTypeNone {
		d.Fields = pruneFields(e.fields, contextual)
		d.Objects = prune(e.objects, contextual)
		annotateCount(d)
	}
	return d
}

func valueOf[T any](p *T) reflect.Value {
	if p == nil {
		return reflect.Value{}
	}
	return reflect.ValueOf(*p)
}

// annotateCount marks a change of count with what it forces, as Nomad does.
func annotateCount(d *TaskGroupDiff) {
	for _, f := range d.Fields {
		if f.Name != "Count" || f.Type != DiffTypeEdited {
			continue
		}
		o, err1 := strconv.Atoi(f.Old)
		n, err2 := strconv.Atoi(f.New)
		switch {
		case err1 != nil || err2 != nil:
		case n > o:
			f.Annotations = append(f.Annotations, AnnotationForcesCreate)
		case n < o:
			f.Annotations = append(f.Annotations, AnnotationForcesDestroy)
		}
	}
}

// taskDiffs matches tasks by name; the result is sorted by name.
func taskDiffs(old, new []*Task, groupType string, contextual bool) []*TaskDiff {
	byName := map[string][2]*Task{}
	for _, t := range compact(old) {
		p := byName[t.Name]
		p[0] = t
		byName[t.Name] = p
	}
	for _, t := range compact(new) {
		p := byName[t.Name]
		p[1] = t
		byName[t.Name] = p
	}
	out := make([]*TaskDiff, 0, len(byName))
	for name, p := range byName {
		out = append(out, taskDiff(name, p[0], p[1], groupType, contextual))
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

func taskDiff(name string, old, new *Task, groupType string, contextual bool) *TaskDiff {
	d := &TaskDiff{Name: name, Type: DiffTypeNone}
	e := diffEntity(valueOf(old), valueOf(new), contextual)
	switch {
	case old == nil:
		d.Type = DiffTypeAdded
	case new == nil:
		d.Type = DiffTypeDeleted
	case e.changed():
		d.Type = DiffTypeEdited
	}
	if d.Type == DiffTypeNone {
		return d
	}
	d.Fields = pruneFields(e.fields, contextual)
	d.Objects = prune(e.objects, contextual)
	d.Annotations = []string{taskAnnotation(d, groupType)}
	return d
}

// taskAnnotation says what a task's change forces on running allocations,
// following Nomad's scheduler: a new or removed group creates or destroys;
// a change limited to kill_timeout, services (tags, meta, checks),
// constraints and log rotation sizes is applied in place; anything else
// (driver, config, env, resources, artifacts, templates, ...) replaces the
// allocation.
func taskAnnotation(d *TaskDiff, groupType string) string {
	switch {
	case groupType == DiffTypeAdded:
		return AnnotationForcesCreate
	case groupType == DiffTypeDeleted:
		return AnnotationForcesDestroy
	case d.Type != DiffTypeEdited:
		return AnnotationForcesDestructive
	}
	for _, f := range d.Fields {
		if f.Type != DiffTypeNone && f.Name != "KillTimeout" {
			return AnnotationForcesDestructive
		}
	}
	for _, o := range d.Objects {
		switch o.Name {
		case "Service", "Constraint":
		case "LogConfig":
			for _, f := range o.Fields {
				if f.Name == "Disabled" && f.Type != DiffTypeNone {
					return AnnotationForcesDestructive
				}
			}
		default:
			if o.Type != DiffTypeNone {
				return AnnotationForcesDestructive
			}
		}
	}
	return AnnotationForcesInplaceUpdate
}
