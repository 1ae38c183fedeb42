package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/drover-sh/drover"
)

// unsupportedJobFields lists the fields set in a job body's JSON (raw is the
// whole request body, the job under "Job") that drover's job has no field
// for, by path ("Job.TaskGroups[web].Scaling"): Nomad features drover does
// not have, which decoding would otherwise drop without a word. A field left
// at its zero value (null, false, 0, "", empty) is not listed, so the
// defaults Nomad's client fills in raise nothing.
func unsupportedJobFields(raw []byte) []string {
	var body struct{ Job any }
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil
	}
	var out []string
	walkUnsupported("Job", body.Job, reflect.TypeFor[drover.Job](), &out)
	sort.Strings(out)
	return out
}

// jsonUnmarshaler is the interface of types that decode themselves.
var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

func walkUnsupported(path string, v any, t reflect.Type, out *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, fv := range obj {
			f, ok := jsonField(t, k)
			if !ok {
				if !zeroJSON(fv) && !clientDefault(k, fv) {
					*out = append(*out, path+"."+k)
				}
				continue
			}
			walkUnsupported(path+"."+k, fv, f.Type, out)
		}
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			return
		}
		for i, e := range list {
			walkUnsupported(fmt.Sprintf("%s[%s]", path, elemName(e, i)), e, t.Elem(), out)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		for k, e := range obj {
			walkUnsupported(fmt.Sprintf("%s[%s]", path, k), e, t.Elem(), out)
		}
	}
}

// withUnsupportedWarning adds to warnings (lines) one naming the fields of
// the job body raw that drover does not support.
func withUnsupportedWarning(warnings string, raw []byte) string {
	fields := unsupportedJobFields(raw)
	if len(fields) == 0 {
		return warnings
	}
	w := "not supported by drover, ignored: " + strings.Join(fields, ", ")
	if warnings == "" {
		return w
	}
	return warnings + "\n" + w
}

// clientDefault reports whether the value v of the unsupported field k is
// the default Nomad's client fills in when it canonicalizes a job, which
// says nothing the user chose.
func clientDefault(k string, v any) bool {
	return k == "Cluster" && v == "default" // Consul cluster of services and consul blocks
}

// jsonField finds the field of struct type t that encoding/json decodes the
// key k into (its name or tag name; case-insensitively, as encoding/json),
// looking into embedded structs.
func jsonField(t reflect.Type, k string) (reflect.StructField, bool) {
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
			continue
		} else if tag != "" {
			name = tag
		}
		if strings.EqualFold(name, k) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// elemName names a list element in a path by its Name (groups, tasks,
// services), else by its index.
func elemName(e any, i int) string {
	if obj, ok := e.(map[string]any); ok {
		if n, ok := obj["Name"].(string); ok && n != "" {
			return n
		}
	}
	return fmt.Sprint(i)
}

// zeroJSON reports whether a decoded JSON value says nothing: null, false,
// 0, "", or an array or object of such values.
func zeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case json.Number:
		return x.String() == "0"
	case string:
		return x == ""
	case []any:
		for _, e := range x {
			if !zeroJSON(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !zeroJSON(e) {
				return false
			}
		}
		return true
	}
	return false
}
