package drover

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"
)

// The diff engine walks the domain types by reflection: primitive fields
// (and pointers to them, and maps of them) become FieldDiffs named like
// Nomad's flattened names ("Count", "Meta[owner]"); nested blocks become
// ObjectDiffs. diffRules says what each type leaves out and how its lists
// are matched.

var durationType = reflect.TypeFor[time.Duration]()

// diffRule is how one struct type diffs.
type diffRule struct {
	skip map[string]bool          // fields left out (server-set, or diffed apart)
	keys map[string]func(any) any // list field -> element key; none: by position
	sets map[string]bool          // []string fields diffed as sets, not by index
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// identity keys an element by its whole content: a changed element shows as
// one deleted and one added (Nomad does this for constraints and affinities).
func identity(v any) any { return fmt.Sprintf("%+v", reflect.Indirect(reflect.ValueOf(v)).Interface()) }

var diffRules = map[reflect.Type]diffRule{
	reflect.TypeFor[Job](): {
		skip: set("ID", "Status", "StatusDescription", "Stable", "Version", "SubmitTime", "CreateIndex",
			"ModifyIndex", "JobModifyIndex", "TaskGroups", "Update", "Migrate", "Reschedule", "Payload"),
		keys: map[string]func(any) any{"Constraints": identity, "Affinities": identity,
			"Spreads": func(v any) any { return v.(*Spread).Attribute }},
		sets: set("Datacenters"),
	},
	reflect.TypeFor[TaskGroup](): {
		skip: set("Name", "Tasks"),
		keys: map[string]func(any) any{"Constraints": identity, "Affinities": identity,
			"Spreads":  func(v any) any { return v.(*Spread).Attribute },
			"Services": serviceKey},
	},
	reflect.TypeFor[Task](): {
		skip: set("Name"),
		keys: map[string]func(any) any{"Constraints": identity, "Affinities": identity,
			"Services":     serviceKey,
			"Templates":    func(v any) any { return v.(*Template).DestPath },
			"VolumeMounts": func(v any) any { return v.(*VolumeMount).Destination },
			"Identities":   func(v any) any { return v.(*WorkloadIdentity).Name }},
	},
	reflect.TypeFor[Service](): {
		keys: map[string]func(any) any{"Checks": func(v any) any { return v.(*ServiceCheck).Name }},
		sets: set("Tags", "CanaryTags"),
	},
	reflect.TypeFor[NetworkResource](): {
		keys: map[string]func(any) any{
			"ReservedPorts": func(v any) any { return v.(Port).Label },
			"DynamicPorts":  func(v any) any { return v.(Port).Label }},
	},
	reflect.TypeFor[Spread](): {
		keys: map[string]func(any) any{"SpreadTarget": func(v any) any { return v.(*SpreadTarget).Value }},
	},
	reflect.TypeFor[ParameterizedJobConfig](): {sets: set("MetaRequired", "MetaOptional")},
	reflect.TypeFor[WorkloadIdentity]():       {sets: set("Audience")},
}

// serviceKey matches services by name and port, as users rename neither
// lightly.
func serviceKey(v any) any {
	s := v.(*Service)
	return s.Name + "\x00" + s.PortLabel
}

// objectNames are the ObjectDiff names of fields, Nomad's where it has one;
// a field not listed keeps its own name.
var objectNames = map[string]string{
	"Constraints": "Constraint", "Affinities": "Affinity", "Spreads": "Spread",
	"SpreadTarget": "SpreadTarget", "Services": "Service", "Checks": "Check",
	"Templates": "Template", "Artifacts": "Artifact", "Networks": "Network",
	"ReservedPorts": "Static Port", "DynamicPorts": "Dynamic Port",
	"VolumeMounts": "VolumeMount", "Volumes": "Volume", "Identities": "Identity",
	"ParameterizedJob": "ParameterizedJob", "LogConfig": "LogConfig",
}

func objectName(field string) string {
	if n, ok := objectNames[field]; ok {
		return n
	}
	return field
}

// formatValue renders a primitive for a FieldDiff: durations as Go
// durations ("30s"), the rest as Go prints them.
func formatValue(v reflect.Value) string {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	default:
		return fmt.Sprint(v.Interface())
	}
}

func isPrimitive(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// flatten returns the primitive fields of a struct value (invalid: none) by
// their flattened names. Maps of primitives give "Name[key]" entries and
// lists of strings that are not sets give "Name[i]".
func flatten(v reflect.Value) map[string]string {
	out := map[string]string{}
	if !v.IsValid() {
		return out
	}
	rule := diffRules[v.Type()]
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() || rule.skip[f.Name] {
			continue
		}
		fv := v.Field(i)
		switch t := f.Type; {
		case isPrimitive(t):
			out[f.Name] = formatValue(fv)
		case t.Kind() == reflect.Pointer && isPrimitive(t.Elem()):
			if !fv.IsNil() {
				out[f.Name] = formatValue(fv.Elem())
			}
		case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && isPrimitive(t.Elem()):
			for _, k := range fv.MapKeys() {
				out[fmt.Sprintf("%s[%s]", f.Name, k.String())] = formatValue(fv.MapIndex(k))
			}
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String && !rule.sets[f.Name]:
			for j := 0; j < fv.Len(); j++ {
				out[fmt.Sprintf("%s[%d]", f.Name, j)] = fv.Index(j).String()
			}
		}
	}
	return out
}

// fieldDiffs compares two flattened maps; contextual keeps unchanged fields
// as Type None. The result is sorted by name.
func fieldDiffs(old, new map[string]string, contextual bool) []*FieldDiff {
	var out []*FieldDiff
	for name, o := range old {
		n, ok := new[name]
		switch {
		case !ok:
			out = append(out, &FieldDiff{Type: DiffTypeDeleted, Name: name, Old: o})
		case o != n:
			out = append(out, &FieldDiff{Type: DiffTypeEdited, Name: name, Old: o, New: n})
		case contextual:
			out = append(out, &FieldDiff{Type: DiffTypeNone, Name: name, Old: o, New: n})
		}
	}
	for name, n := range new {
		if _, ok := old[name]; !ok {
			out = append(out, &FieldDiff{Type: DiffTypeAdded, Name: name, New: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// flattenConfig flattens a driver config the way Nomad does: top-level keys
// as they are, nested maps as "key[sub]", lists as "key[i]".
func flattenConfig(prefix string, v any, out map[string]string) {
	name := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "[" + k + "]"
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flattenConfig(name(k), e, out)
		}
	case []any:
		for i, e := range x {
			flattenConfig(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	case []map[string]any:
		for i, e := range x {
			flattenConfig(fmt.Sprintf("%s[%d]", prefix, i), e, out)
		}
	case nil:
		if prefix != "" {
			out[prefix] = ""
		}
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Map:
			for _, k := range rv.MapKeys() {
				flattenConfig(name(fmt.Sprint(k.Interface())), rv.MapIndex(k).Interface(), out)
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < rv.Len(); i++ {
				flattenConfig(fmt.Sprintf("%s[%d]", prefix, i), rv.Index(i).Interface(), out)
			}
		default:
			out[prefix] = fmt.Sprint(v)
		}
	}
}
