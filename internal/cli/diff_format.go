package cli

import (
	"fmt"
	"strings"

	drover "github.com/drover-sh/drover"
)

// The diff renderer prints a drover.JobDiff the way Nomad's `job plan` and
// `job history -p` do:
//
//	+/- Job: "web"
//	+/- Task Group: "web" (1 create, 1 ignore)
//	  +/- Count: "1" => "2" (forces create)
//	      Task: "web"
//
// Each line starts with a marker for its diff type: "+" added, "-"
// deleted, "+/-" edited, none for unchanged context. Markers of one level
// are padded to the widest so the names after them line up, and field
// values line up after the longest field name.
//
// Without verbose, only what changed is shown: an added or deleted job,
// group or task shows its name, not every field of it; an edited one shows
// its changed fields and blocks, not the unchanged ones a contextual diff
// carries; inside a changed block, though, the unchanged fields stay, as
// context (the other keys of an edited config). Unchanged tasks of an
// edited group are listed by name. verbose shows everything.

// diffMarker returns the marker printed before an object or field of the
// given diff type, with its trailing space; "" for unchanged.
func diffMarker(diffType string) string {
	switch diffType {
	case drover.DiffTypeAdded:
		return "+ "
	case drover.DiffTypeDeleted:
		return "- "
	case drover.DiffTypeEdited:
		return "+/- "
	}
	return ""
}

// diffLines accumulates the rendered lines.
type diffLines struct{ lines []string }

func (d *diffLines) add(format string, args ...any) {
	d.lines = append(d.lines, fmt.Sprintf(format, args...))
}

// pad returns n spaces.
func pad(n int) string { return strings.Repeat(" ", max(n, 0)) }

// formatJobDiff renders diff; verbose shows every field, not only those of
// edited objects. The result has no trailing newline; groups are separated
// by blank lines.
func formatJobDiff(diff *drover.JobDiff, verbose bool) string {
	if diff == nil {
		return ""
	}
	var d diffLines
	d.add("%sJob: %q", diffMarker(diff.Type), diff.ID)
	fields, objects := changedOnly(diff.Fields, diff.Objects, verbose)
	longestField, longestMarker := diffWidths(fields, objects)
	for _, tg := range diff.TaskGroups {
		longestMarker = max(longestMarker, len(diffMarker(tg.Type)))
	}
	if diff.Type == drover.DiffTypeEdited || verbose {
		d.fieldsAndObjects(fields, objects, 0, longestField, longestMarker)
	}
	for i, tg := range diff.TaskGroups {
		if i > 0 {
			d.add("")
		}
		d.taskGroup(tg, longestMarker-len(diffMarker(tg.Type)), verbose)
	}
	return strings.Join(d.lines, "\n")
}

// changedOnly drops, unless verbose, the unchanged fields and blocks of a
// job, group or task (a contextual diff includes them).
func changedOnly(fields []*drover.FieldDiff, objects []*drover.ObjectDiff, verbose bool) ([]*drover.FieldDiff, []*drover.ObjectDiff) {
	if verbose {
		return fields, objects
	}
	var fs []*drover.FieldDiff
	for _, f := range fields {
		if !unchanged(f.Type) {
			fs = append(fs, f)
		}
	}
	var os []*drover.ObjectDiff
	for _, o := range objects {
		if !unchanged(o.Type) {
			os = append(os, o)
		}
	}
	return fs, os
}

// unchanged reports whether a diff type says "no change".
func unchanged(diffType string) bool {
	return diffType == drover.DiffTypeNone || diffType == ""
}

// diffWidths returns the longest field name and the widest marker among
// fields and objects.
func diffWidths(fields []*drover.FieldDiff, objects []*drover.ObjectDiff) (longestField, longestMarker int) {
	for _, f := range fields {
		longestField = max(longestField, len(f.Name))
		longestMarker = max(longestMarker, len(diffMarker(f.Type)))
	}
	for _, o := range objects {
		longestMarker = max(longestMarker, len(diffMarker(o.Type)))
	}
	return longestField, longestMarker
}

// taskGroup renders one group: its header with what the scheduler would do
// to its allocations, its fields (edited or verbose), then its tasks.
func (d *diffLines) taskGroup(tg *drover.TaskGroupDiff, keyPad int, verbose bool) {
	d.add("%s%sTask Group: %q%s", diffMarker(tg.Type), pad(keyPad), tg.Name, formatUpdates(tg.Updates))
	fields, objects := changedOnly(tg.Fields, tg.Objects, verbose)
	longestField, longestMarker := diffWidths(fields, objects)
	for _, t := range tg.Tasks {
		longestMarker = max(longestMarker, len(diffMarker(t.Type)))
	}
	indent := keyPad + 2
	if tg.Type == drover.DiffTypeEdited || verbose {
		d.fieldsAndObjects(fields, objects, indent, longestField, longestMarker)
	}
	for _, t := range tg.Tasks {
		d.task(t, indent, longestMarker-len(diffMarker(t.Type)), verbose)
	}
}

// formatUpdates prints a group's update counts as " (1 create, 2 ignore)",
// kinds in alphabetical order; "" when there are none.
func formatUpdates(updates map[string]uint64) string {
	var parts []string
	for _, kind := range sortedKeys(updates) {
		if n := updates[kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, kind))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// task renders one task: its header with its annotations ("forces
// create/destroy update"), then, when it was edited (or verbose and it is
// not unchanged), its fields and objects.
func (d *diffLines) task(t *drover.TaskDiff, indent, keyPad int, verbose bool) {
	line := fmt.Sprintf("%s%s%sTask: %q", pad(indent), diffMarker(t.Type), pad(keyPad), t.Name)
	if len(t.Annotations) > 0 {
		line += " (" + strings.Join(t.Annotations, ", ") + ")"
	}
	d.add("%s", line)
	switch {
	case unchanged(t.Type):
		return
	case t.Type != drover.DiffTypeEdited && !verbose:
		return
	}
	fields, objects := changedOnly(t.Fields, t.Objects, verbose)
	longestField, longestMarker := diffWidths(fields, objects)
	d.fieldsAndObjects(fields, objects, indent+2, longestField, longestMarker)
}

// fieldsAndObjects renders fields then objects at indent, markers padded
// to longestMarker and values aligned after longestField.
func (d *diffLines) fieldsAndObjects(fields []*drover.FieldDiff, objects []*drover.ObjectDiff, indent, longestField, longestMarker int) {
	for _, f := range fields {
		d.field(f, indent, longestMarker-len(diffMarker(f.Type)), longestField-len(f.Name))
	}
	for _, o := range objects {
		d.object(o, indent, longestMarker-len(diffMarker(o.Type)))
	}
}

// field renders `Name: "value"`, `Name: "old" => "new"` for an edit, and
// its annotations in parentheses.
func (d *diffLines) field(f *drover.FieldDiff, indent, keyPad, valuePad int) {
	var value string
	switch f.Type {
	case drover.DiffTypeDeleted:
		value = fmt.Sprintf("%q", f.Old)
	case drover.DiffTypeEdited:
		value = fmt.Sprintf("%q => %q", f.Old, f.New)
	default:
		value = fmt.Sprintf("%q", f.New)
	}
	if len(f.Annotations) > 0 {
		value += " (" + strings.Join(f.Annotations, ", ") + ")"
	}
	d.add("%s%s%s%s: %s%s", pad(indent), diffMarker(f.Type), pad(keyPad), f.Name, pad(valuePad), value)
}

// object renders a nested block as `Name {`, its fields and objects two
// columns further in, and a closing brace under the name.
func (d *diffLines) object(o *drover.ObjectDiff, indent, keyPad int) {
	marker := diffMarker(o.Type)
	d.add("%s%s%s%s {", pad(indent), marker, pad(keyPad), o.Name)
	longestField, longestMarker := diffWidths(o.Fields, o.Objects)
	d.fieldsAndObjects(o.Fields, o.Objects, indent+keyPad+2, longestField, longestMarker)
	d.add("%s}", pad(indent+len(marker)+keyPad))
}

// annotateDiff fills each group's Updates from the plan's annotations when
// the server left them empty, so the group headers say what the scheduler
// would do ("1 create, 1 destroy"). Groups only in the annotations are
// left out: the diff decides which groups are shown.
func annotateDiff(diff *drover.JobDiff, ann *drover.PlanAnnotations) {
	if diff == nil || ann == nil {
		return
	}
	for _, tg := range diff.TaskGroups {
		u := ann.DesiredTGUpdates[tg.Name]
		if len(tg.Updates) > 0 || u == nil {
			continue
		}
		tg.Updates = map[string]uint64{}
		for kind, n := range map[string]uint64{
			drover.UpdateTypeIgnore:            u.Ignore,
			drover.UpdateTypeCreate:            u.Place,
			drover.UpdateTypeDestroy:           u.Stop,
			drover.UpdateTypeMigrate:           u.Migrate,
			drover.UpdateTypeCanary:            u.Canary,
			drover.UpdateTypeInplaceUpdate:     u.InPlaceUpdate,
			drover.UpdateTypeDestructiveUpdate: u.DestructiveUpdate,
		} {
			if n > 0 {
				tg.Updates[kind] = n
			}
		}
	}
}

// planChangesAllocs reports whether the plan creates, destroys, migrates or
// replaces allocations: what `job plan` exits 1 for.
func planChangesAllocs(resp *drover.JobPlanResponse) bool {
	if resp.Annotations != nil {
		for _, u := range resp.Annotations.DesiredTGUpdates {
			if u.Place+u.Stop+u.Migrate+u.DestructiveUpdate+u.Canary > 0 {
				return true
			}
		}
		return false
	}
	if resp.Diff == nil {
		return false
	}
	for _, tg := range resp.Diff.TaskGroups {
		for _, kind := range []string{drover.UpdateTypeCreate, drover.UpdateTypeDestroy, drover.UpdateTypeMigrate,
			drover.UpdateTypeCanary, drover.UpdateTypeDestructiveUpdate} {
			if tg.Updates[kind] > 0 {
				return true
			}
		}
	}
	return false
}
