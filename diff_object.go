package drover

import (
	"fmt"
	"reflect"
	"sort"
)

// entityDiff is the fields and nested objects of a job, group or task.
type entityDiff struct {
	fields  []*FieldDiff
	objects []*ObjectDiff
}

// diffEntity diffs two struct values (either may be invalid: absent) field
// by field.
func diffEntity(old, new reflect.Value, contextual bool) entityDiff {
	return entityDiff{
		fields:  fieldDiffs(flatten(old), flatten(new), contextual),
		objects: childObjects(old, new, contextual),
	}
}

// changed reports whether anything in the entity differs.
func (e entityDiff) changed() bool {
	for _, f := range e.fields {
		if f.Type != DiffTypeNone {
			return true
		}
	}
	for _, o := range e.objects {
		if o.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

// structType returns the struct type of a value that may be invalid, taking
// it from the other side.
func structType(a, b reflect.Value) reflect.Type {
	if a.IsValid() {
		return a.Type()
	}
	return b.Type()
}

// field returns the named field of a struct value, or an invalid value for
// an absent struct.
func field(v reflect.Value, i int) reflect.Value {
	if !v.IsValid() {
		return reflect.Value{}
	}
	return v.Field(i)
}

// childObjects diffs the nested blocks of two struct values: pointers to
// structs, lists of structs, string sets, maps of structs and driver configs.
func childObjects(old, new reflect.Value, contextual bool) []*ObjectDiff {
	if !old.IsValid() && !new.IsValid() {
		return nil
	}
	t := structType(old, new)
	rule := diffRules[t]
	var out []*ObjectDiff
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || rule.skip[f.Name] {
			continue
		}
		o, n := field(old, i), field(new, i)
		ft := f.Type
		switch {
		case f.Name == "Config" && ft.Kind() == reflect.Map:
			out = appendObj(out, configDiff(o, n, contextual))
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			out = appendObj(out, diffObject(objectName(f.Name), deref(o), deref(n), contextual))
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String && rule.sets[f.Name]:
			out = appendObj(out, stringSetDiff(f.Name, o, n, contextual))
		case ft.Kind() == reflect.Slice && isStructish(ft.Elem()):
			out = append(out, listDiff(objectName(f.Name), o, n, rule.keys[f.Name], contextual)...)
		case ft.Kind() == reflect.Map && isStructish(ft.Elem()):
			out = append(out, mapDiff(objectName(f.Name), o, n, contextual)...)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Slice:
			out = appendObj(out, mapOfListsDiff(f.Name, o, n, contextual))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func appendObj(out []*ObjectDiff, o *ObjectDiff) []*ObjectDiff {
	if o != nil {
		out = append(out, o)
	}
	return out
}

func isStructish(t reflect.Type) bool {
	return t.Kind() == reflect.Struct || (t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct)
}

// deref turns a pointer to a struct into the struct, nil into invalid.
func deref(v reflect.Value) reflect.Value {
	if !v.IsValid() {
		return v
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		return v.Elem()
	}
	return v
}

// diffObject diffs one block. It returns nil when both are absent, and an
// object of Type None when they are equal (callers prune those).
func diffObject(name string, old, new reflect.Value, contextual bool) *ObjectDiff {
	if !old.IsValid() && !new.IsValid() {
		return nil
	}
	e := diffEntity(old, new, contextual)
	d := &ObjectDiff{Name: name, Fields: e.fields, Objects: e.objects}
	switch {
	case !old.IsValid():
		d.Type = DiffTypeAdded
	case !new.IsValid():
		d.Type = DiffTypeDeleted
	case e.changed():
		d.Type = DiffTypeEdited
	default:
		d.Type = DiffTypeNone
	}
	return d
}

// listDiff diffs two lists of blocks, matching elements by key (or by
// position when key is nil). Unmatched old elements are Deleted, unmatched
// new ones Added; the order is old's, then the additions in new's order.
func listDiff(name string, old, new reflect.Value, key func(any) any, contextual bool) []*ObjectDiff {
	olen, nlen := lenOf(old), lenOf(new)
	used := make([]bool, nlen)
	var out []*ObjectDiff
	for i := 0; i < olen; i++ {
		ov := old.Index(i)
		if isNilPtr(ov) {
			continue
		}
		match := -1
		for j := 0; j < nlen; j++ {
			if used[j] || isNilPtr(new.Index(j)) {
				continue
			}
			if (key == nil && i == j) || (key != nil && key(ov.Interface()) == key(new.Index(j).Interface())) {
				match = j
				break
			}
		}
		var nv reflect.Value
		if match >= 0 {
			used[match] = true
			nv = deref(new.Index(match))
		}
		out = appendObj(out, diffObject(name, deref(ov), nv, contextual))
	}
	for j := 0; j < nlen; j++ {
		if !used[j] && !isNilPtr(new.Index(j)) {
			out = appendObj(out, diffObject(name, reflect.Value{}, deref(new.Index(j)), contextual))
		}
	}
	return out
}

func isNilPtr(v reflect.Value) bool { return v.Kind() == reflect.Pointer && v.IsNil() }

func lenOf(v reflect.Value) int {
	if !v.IsValid() {
		return 0
	}
	return v.Len()
}

// mapDiff diffs maps of blocks (a group's volumes) by key, in key order.
func mapDiff(name string, old, new reflect.Value, contextual bool) []*ObjectDiff {
	keys := map[string]bool{}
	for _, m := range []reflect.Value{old, new} {
		if m.IsValid() {
			for _, k := range m.MapKeys() {
				keys[k.String()] = true
			}
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []*ObjectDiff
	for _, k := range sorted {
		out = appendObj(out, diffObject(name, deref(mapIndex(old, k)), deref(mapIndex(new, k)), contextual))
	}
	return out
}

func mapIndex(m reflect.Value, k string) reflect.Value {
	if !m.IsValid() || m.IsNil() {
		return reflect.Value{}
	}
	v := m.MapIndex(reflect.ValueOf(k))
	if !v.IsValid() {
		return reflect.Value{}
	}
	return v
}

// stringSetDiff diffs two string lists as sets, as Nomad does for
// datacenters and tags: each element is a field named like the list.
func stringSetDiff(name string, old, new reflect.Value, contextual bool) *ObjectDiff {
	in := func(v reflect.Value) map[string]bool {
		m := map[string]bool{}
		for i := 0; i < lenOf(v); i++ {
			m[v.Index(i).String()] = true
		}
		return m
	}
	o, n := in(old), in(new)
	if len(o) == 0 && len(n) == 0 {
		return nil
	}
	d := &ObjectDiff{Name: name, Type: DiffTypeNone}
	added, deleted := 0, 0
	for v := range o {
		if !n[v] {
			d.Fields = append(d.Fields, &FieldDiff{Type: DiffTypeDeleted, Name: name, Old: v})
			deleted++
		} else if contextual {
			d.Fields = append(d.Fields, &FieldDiff{Type: DiffTypeNone, Name: name, Old: v, New: v})
		}
	}
	for v := range n {
		if !o[v] {
			d.Fields = append(d.Fields, &FieldDiff{Type: DiffTypeAdded, Name: name, New: v})
			added++
		}
	}
	sort.Slice(d.Fields, func(i, j int) bool {
		return d.Fields[i].Old+d.Fields[i].New < d.Fields[j].Old+d.Fields[j].New
	})
	switch {
	case len(o) == 0:
		d.Type = DiffTypeAdded
	case len(n) == 0:
		d.Type = DiffTypeDeleted
	case added+deleted > 0:
		d.Type = DiffTypeEdited
	}
	return d
}

// configDiff diffs two driver configs as one "Config" object of flattened
// fields.
func configDiff(old, new reflect.Value, contextual bool) *ObjectDiff {
	flat := func(v reflect.Value) map[string]string {
		out := map[string]string{}
		if v.IsValid() && !v.IsNil() {
			flattenConfig("", v.Interface(), out)
		}
		return out
	}
	return flatObject("Config", flat(old), flat(new), contextual)
}

// mapOfListsDiff diffs a map of string lists (a check's headers) as one
// object of "key[i]" fields.
func mapOfListsDiff(name string, old, new reflect.Value, contextual bool) *ObjectDiff {
	flat := func(v reflect.Value) map[string]string {
		out := map[string]string{}
		if v.IsValid() {
			for _, k := range v.MapKeys() {
				l := v.MapIndex(k)
				for i := 0; i < l.Len(); i++ {
					out[fmt.Sprintf("%s[%d]", k.String(), i)] = fmt.Sprint(l.Index(i).Interface())
				}
			}
		}
		return out
	}
	return flatObject(name, flat(old), flat(new), contextual)
}

// flatObject is an object made only of flattened fields; absent when both
// sides are empty.
func flatObject(name string, old, new map[string]string, contextual bool) *ObjectDiff {
	if len(old) == 0 && len(new) == 0 {
		return nil
	}
	d := &ObjectDiff{Name: name, Type: DiffTypeNone, Fields: fieldDiffs(old, new, contextual)}
	switch {
	case len(old) == 0:
		d.Type = DiffTypeAdded
	case len(new) == 0:
		d.Type = DiffTypeDeleted
	default:
		for _, f := range d.Fields {
			if f.Type != DiffTypeNone {
				d.Type = DiffTypeEdited
				break
			}
		}
	}
	return d
}

// prune removes what did not change from objects (recursively): objects
// and fields of Type None, unless contextual, where they stay as the
// context of what changed.
func prune(objs []*ObjectDiff, contextual bool) []*ObjectDiff {
	var out []*ObjectDiff
	for _, o := range objs {
		if o.Type == DiffTypeNone && !contextual {
			continue
		}
		o.Fields = pruneFields(o.Fields, contextual)
		o.Objects = prune(o.Objects, contextual)
		out = append(out, o)
	}
	return out
}

func pruneFields(fields []*FieldDiff, contextual bool) []*FieldDiff {
	if contextual {
		return fields
	}
	var out []*FieldDiff
	for _, f := range fields {
		if f.Type != DiffTypeNone {
			out = append(out, f)
		}
	}
	return out
}
