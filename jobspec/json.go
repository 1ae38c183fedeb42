package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/drover-sh/drover"
)

// ParseJSON parses a job in Nomad's API JSON: {"Job": {...}} or the job
// object itself, with Nomad's field names (matched without regard to case,
// as Nomad does) and durations in integer nanoseconds. Like Parse it
// neither canonicalizes nor validates the job, except that a group without
// a Count gets 1, as Nomad's API gives it. Numbers in task configs become
// int64 or float64 (drover.NormalizeNumbers).
//
// A field the job types do not have is an error naming it (with a "did you
// mean"), unless its value is empty (null, "", 0, false, [] or {}): the JSON
// Nomad writes (nomad job run -output, nomad job inspect) lists every field,
// including ones drover does not implement, and an empty one asks nothing.
// src is refused over MaxFileSize or nested deeper than MaxNesting. Errors
// are an *Error (kind drover.ErrInvalid) with line:column positions.
func ParseJSON(filename string, src []byte) (*drover.Job, error) {
	job, diags := parseJSON(filename, src)
	if err := newError(filename, diags); err != nil {
		return nil, err
	}
	return job, nil
}

// CheckJSONLimits refuses JSON that is over MaxFileSize bytes or nests
// objects and arrays more than MaxNesting deep, without decoding it: the
// limits ParseJSON applies, for callers (the HTTP API) that decode JSON
// jobs themselves. The error is an *Error of kind drover.ErrInvalid whose
// position is in "<json>".
func CheckJSONLimits(src []byte) error {
	if err := newError("<json>", jsonLimits("<json>", src)); err != nil {
		return err
	}
	return nil
}

// jsonLimits is CheckJSONLimits as diagnostics.
func jsonLimits(filename string, src []byte) hcl.Diagnostics {
	if len(src) > MaxFileSize {
		return tooLarge(filename, int64(len(src)))
	}
	depth, inString := 0, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			if depth > MaxNesting {
				rng := hcl.Range{Filename: filename, Start: posAt(src, i), End: posAt(src, i)}
				return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Nesting too deep",
					Detail:  fmt.Sprintf("Objects and arrays are nested more than %d levels deep here.", MaxNesting),
					Subject: &rng}}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// jobWrapper is the {"Job": {...}} form.
type jobWrapper struct {
	Job *drover.Job
}

func parseJSON(filename string, src []byte) (*drover.Job, hcl.Diagnostics) {
	if diags := jsonLimits(filename, src); diags.HasErrors() {
		return nil, diags
	}
	w := &jsonWalker{filename: filename, src: src, fields: map[reflect.Type]map[string]reflect.StructField{}}
	var target any = &drover.Job{}
	if wrapped(src) {
		target = &jobWrapper{}
	}
	w.walk(reflect.TypeOf(target))
	if w.diags.HasErrors() {
		return nil, w.diags
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(target); err != nil {
		return nil, w.decodeError(err)
	}
	job, ok := target.(*drover.Job)
	if wr, isWrapper := target.(*jobWrapper); isWrapper {
		job, ok = wr.Job, wr.Job != nil
	}
	if !ok {
		return nil, hcl.Diagnostics{w.diag(0, "Missing job", `The JSON holds no job: give {"Job": {...}} or the job object itself.`)}
	}
	job.NormalizeConfigNumbers()
	if len(w.groupCounts) == len(job.TaskGroups) {
		for i, tg := range job.TaskGroups {
			if tg != nil && !w.groupCounts[i] {
				tg.Count = 1
			}
		}
	}
	return job, nil
}

// wrapped reports whether src is an object with a "Job" key (any case).
func wrapped(src []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(src, &top) != nil {
		return false // the walk reports it
	}
	for k := range top {
		if strings.EqualFold(k, "Job") {
			return true
		}
	}
	return false
}

// jsonWalker reads the JSON token by token against the Go type it will be
// decoded into, to report unknown fields with their positions (the json
// package names them without one) and to note which groups set Count.
type jsonWalker struct {
	filename string
	src      []byte
	dec      *json.Decoder
	diags    hcl.Diagnostics
	fields   map[reflect.Type]map[string]reflect.StructField
	// groupCounts records, per task group object in order, whether it
	// set a non-null Count.
	groupCounts []bool
}

var (
	anyType       = reflect.TypeFor[any]()
	taskGroupType = reflect.TypeFor[drover.TaskGroup]()
)

func (w *jsonWalker) walk(t reflect.Type) {
	w.dec = json.NewDecoder(bytes.NewReader(w.src))
	tok, err := w.dec.Token()
	if err != nil {
		w.diags = append(w.diags, w.decodeError(err)...)
		return
	}
	if tok != json.Delim('{') {
		w.diags = append(w.diags, w.diag(0, "Invalid JSON job", `A JSON job is an object: {"Job": {...}} or the job object itself.`))
		return
	}
	if err := w.object(deref(t), ""); err != nil {
		w.diags = append(w.diags, w.decodeError(err)...)
		return
	}
	if _, err := w.dec.Token(); err != io.EOF {
		off := int(w.dec.InputOffset())
		w.diags = append(w.diags, w.diag(off, "Invalid JSON job", "Unexpected data after the job object."))
	}
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// value walks one value to be decoded into t; it returns whether the value
// was null.
func (w *jsonWalker) value(t reflect.Type, path string) (bool, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return false, err
	}
	t = deref(t)
	switch tok {
	case json.Delim('{'):
		return false, w.object(t, path)
	case json.Delim('['):
		return false, w.array(t, path)
	case nil:
		return true, nil
	}
	return false, nil
}

func (w *jsonWalker) array(t reflect.Type, path string) error {
	elem := anyType
	if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		elem = t.Elem()
	}
	for i := 0; w.dec.More(); i++ {
		if _, err := w.value(elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	_, err := w.dec.Token()
	return err
}

func (w *jsonWalker) object(t reflect.Type, path string) error {
	isGroup := t == taskGroupType
	counted := false
	for w.dec.More() {
		off := w.keyOffset(int(w.dec.InputOffset()))
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var null bool
		switch t.Kind() {
		case reflect.Struct:
			f, ok := w.structFields(t)[strings.ToLower(key)]
			if !ok {
				if err := w.unknown(t, path, key, off); err != nil {
					return err
				}
				continue
			}
			null, err = w.value(f.Type, join(path, f.Name))
			if isGroup && f.Name == "Count" && !null {
				counted = true
			}
		case reflect.Map:
			_, err = w.value(t.Elem(), fmt.Sprintf("%s[%q]", path, key))
		default:
			_, err = w.value(anyType, join(path, key))
		}
		if err != nil {
			return err
		}
	}
	if isGroup {
		w.groupCounts = append(w.groupCounts, counted)
	}
	_, err := w.dec.Token()
	return err
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// keyOffset moves off (just after the previous token) to the key's quote.
func (w *jsonWalker) keyOffset(off int) int {
	for off < len(w.src) && w.src[off] != '"' {
		off++
	}
	return off
}

// unknown handles a key t has no field for: skipped when its value is
// empty, an error otherwise.
func (w *jsonWalker) unknown(t reflect.Type, path, key string, off int) error {
	empty, err := w.skipEmpty()
	if err != nil || empty {
		return err
	}
	names := make([]string, 0, len(w.structFields(t)))
	for _, f := range w.structFields(t) {
		names = append(names, f.Name)
	}
	hint := ""
	if sg := suggest(key, names); sg != "" {
		hint = fmt.Sprintf(" Did you mean %q?", sg)
	}
	where := "the job"
	switch {
	case path != "":
		where = path
	case t != reflect.TypeFor[drover.Job]():
		where = "the top-level object"
	}
	if len(w.diags) > MaxDiagnostics {
		return nil // newError keeps no more; spare the positions
	}
	w.diags = append(w.diags, w.diag(off, "Unknown field",
		fmt.Sprintf("%q is not a field of %s (a %s).%s", key, where, t.Name(), hint)))
	return nil
}

// skipEmpty skips one value and reports whether it was empty: null, "", 0,
// false, [] or {}.
func (w *jsonWalker) skipEmpty() (bool, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return false, err
	}
	switch v := tok.(type) {
	case nil:
		return true, nil
	case string:
		return v == "", nil
	case float64:
		return v == 0, nil
	case bool:
		return !v, nil
	case json.Delim:
		if !w.dec.More() {
			_, err := w.dec.Token()
			return true, err
		}
		for depth := 1; depth > 0; {
			tok, err := w.dec.Token()
			if err != nil {
				return false, err
			}
			switch tok {
			case json.Delim('{'), json.Delim('['):
				depth++
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
		}
	}
	return false, nil
}

// structFields returns t's JSON fields by lowercased name, embedded
// structs' fields included, as encoding/json matches them.
func (w *jsonWalker) structFields(t reflect.Type) map[string]reflect.StructField {
	if m, ok := w.fields[t]; ok {
		return m
	}
	m := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		switch {
		case tag == "-":
			continue
		case f.Anonymous && deref(f.Type).Kind() == reflect.Struct && tag == "":
			for k, ef := range w.structFields(deref(f.Type)) {
				if _, ok := m[k]; !ok {
					m[k] = ef
				}
			}
			continue
		case !f.IsExported():
			continue
		}
		name := f.Name
		if n, _, _ := strings.Cut(tag, ","); n != "" {
			name = n
		}
		f.Name = name
		m[strings.ToLower(name)] = f
	}
	w.fields[t] = m
	return m
}

// decodeError turns an encoding/json error into a diagnostic at its offset.
func (w *jsonWalker) decodeError(err error) hcl.Diagnostics {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return hcl.Diagnostics{w.diag(int(se.Offset), "Invalid JSON", strings.TrimPrefix(se.Error(), "json: ")+".")}
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "a value"
		}
		return hcl.Diagnostics{w.diag(int(te.Offset), "Incorrect field value type",
			fmt.Sprintf("The value of %s is a JSON %s; %s is required.", field, te.Value, jsonKind(te.Type)))}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return hcl.Diagnostics{w.diag(len(w.src), "Invalid JSON", "The JSON ends too early.")}
	}
	return hcl.Diagnostics{w.diag(0, "Invalid JSON", strings.TrimPrefix(err.Error(), "json: ")+".")}
}

// jsonKind names what JSON value a Go type takes.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if deref(t) == reflect.TypeFor[time.Duration]() {
		return "a whole number of nanoseconds (durations in Nomad's JSON are integers: 30s is 30000000000)"
	}
	switch deref(t).Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another type"
}

func (w *jsonWalker) diag(off int, summary, detail string) *hcl.Diagnostic {
	off = max(0, min(off, len(w.src)))
	pos := posAt(w.src, off)
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail,
		Subject: &hcl.Range{Filename: w.filename, Start: pos, End: pos}}
}
