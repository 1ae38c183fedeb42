package jobspec

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

func (d *decoder) warnf(rng hcl.Range, summary, format string, args ...any) {
	r := rng
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r,
	})
}

func (d *decoder) errorf(rng hcl.Range, summary, format string, args ...any) {
	r := rng
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: &r,
	})
}

// value evaluates expr. Interpolations of runtime variables are not
// evaluated: they come out as their "${...}" source text.
func (d *decoder) value(expr hclsyntax.Expression) cty.Value {
	v, diags := d.eval(expr)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return cty.DynamicVal
	}
	if !v.IsWhollyKnown() {
		// Only an expression the parser could not read (already reported)
		// yields unknowns, since no variable is unknown; never let one
		// through to the converters.
		if !d.diags.HasErrors() {
			d.errorf(expr.Range(), "Invalid value", "The value of this expression cannot be determined.")
		}
		return cty.DynamicVal
	}
	return v
}

func (d *decoder) eval(expr hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	if !d.hasRuntimeRefs(expr) {
		return expr.Value(d.ctx)
	}
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		return d.evalTemplate(e)
	case *hclsyntax.TemplateWrapExpr:
		return d.evalPart(e.Wrapped)
	case *hclsyntax.TupleConsExpr:
		vals := make([]cty.Value, len(e.Exprs))
		var diags hcl.Diagnostics
		for i, x := range e.Exprs {
			v, ds := d.eval(x)
			diags = append(diags, ds...)
			vals[i] = v
		}
		return cty.TupleVal(vals), diags
	case *hclsyntax.ObjectConsExpr:
		return d.evalObject(e)
	case *hclsyntax.ParenthesesExpr:
		return d.eval(e.Expression)
	case *hclsyntax.ConditionalExpr:
		if !d.hasRuntimeRefs(e.Condition) {
			return d.evalConditional(e)
		}
	}
	// A bare runtime reference (args = [attr.kernel.name]) becomes its
	// interpolation, as if it had been quoted.
	return cty.StringVal("${" + d.source(expr.Range()) + "}"), nil
}

func (d *decoder) evalTemplate(e *hclsyntax.TemplateExpr) (cty.Value, hcl.Diagnostics) {
	var sb strings.Builder
	var diags hcl.Diagnostics
	for _, p := range e.Parts {
		v, ds := d.evalPart(p)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() || !s.IsKnown() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid template interpolation value",
				Detail: "The value cannot be included in a string.", Subject: p.Range().Ptr()})
			continue
		}
		sb.WriteString(s.AsString())
	}
	return cty.StringVal(sb.String()), diags
}

// evalPart evaluates one part of a template: literal text, a parse-time
// interpolation, or a runtime interpolation kept as text.
func (d *decoder) evalPart(p hclsyntax.Expression) (cty.Value, hcl.Diagnostics) {
	if !d.hasRuntimeRefs(p) {
		return p.Value(d.ctx)
	}
	if c, ok := p.(*hclsyntax.ConditionalExpr); ok && !d.hasRuntimeRefs(c.Condition) {
		return d.evalConditional(c)
	}
	if !d.isInterpolation(p.Range()) {
		return cty.DynamicVal, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Runtime variable in template directive",
			Detail:  "Template directives (%{if}, %{for}) may refer only to values known when the job is parsed; runtime variables (attr, node, meta, env, NOMAD_*) may be used only in ${...} interpolations.",
			Subject: p.Range().Ptr()}}
	}
	return cty.StringVal("${" + d.source(p.Range()) + "}"), nil
}

// evalConditional evaluates a conditional whose condition is known at parse
// time (a %{if} directive or a ?: operator) and then the chosen branch,
// which may hold runtime interpolations.
func (d *decoder) evalConditional(c *hclsyntax.ConditionalExpr) (cty.Value, hcl.Diagnostics) {
	cond, diags := c.Condition.Value(d.ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	cond, err := convert.Convert(cond, cty.Bool)
	if err != nil || cond.IsNull() || !cond.IsKnown() {
		return cty.DynamicVal, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect condition type",
			Detail: "The condition must be a bool.", Subject: c.Condition.Range().Ptr()})
	}
	branch := c.FalseResult
	if cond.True() {
		branch = c.TrueResult
	}
	v, more := d.eval(branch)
	return v, append(diags, more...)
}

func (d *decoder) evalObject(e *hclsyntax.ObjectConsExpr) (cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	attrs := map[string]cty.Value{}
	for _, item := range e.Items {
		kv, ds := d.eval(item.KeyExpr)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		if !kv.IsKnown() || kv.IsNull() || kv.Type() != cty.String {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid object key",
				Detail: "Object keys must be strings.", Subject: item.KeyExpr.Range().Ptr()})
			continue
		}
		vv, ds := d.eval(item.ValueExpr)
		diags = append(diags, ds...)
		attrs[kv.AsString()] = vv
	}
	return cty.ObjectVal(attrs), diags
}

// hasRuntimeRefs reports whether expr refers to a variable not resolved at
// parse time.
func (d *decoder) hasRuntimeRefs(expr hclsyntax.Expression) bool {
	for _, t := range expr.Variables() {
		if !d.parseTime[t.RootName()] {
			return true
		}
	}
	return false
}

// source returns the trimmed source text of rng.
func (d *decoder) source(rng hcl.Range) string {
	if rng.Start.Byte < 0 || rng.End.Byte > len(d.src) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return strings.TrimSpace(string(d.src[rng.Start.Byte:rng.End.Byte]))
}

// isInterpolation reports whether the template part at rng sits in "${...}"
// rather than in a "%{...}" directive.
func (d *decoder) isInterpolation(rng hcl.Range) bool {
	i := rng.Start.Byte - 1
	for i >= 0 && i < len(d.src) && strings.IndexByte(" \t\r\n~", d.src[i]) >= 0 {
		i--
	}
	return i >= 1 && d.src[i] == '{' && d.src[i-1] == '$'
}

// attrValue evaluates a's expression; it returns false when a is null (the
// attribute counts as unset) or failed to evaluate.
func (d *decoder) attrValue(a *hclsyntax.Attribute) (cty.Value, bool) {
	v := d.value(a.Expr)
	if !v.IsKnown() || v.IsNull() {
		return v, false
	}
	return v, true
}

func (d *decoder) typeError(a *hclsyntax.Attribute, want string) {
	d.errorf(a.Expr.Range(), "Incorrect attribute value type", "Inappropriate value for attribute %q: %s required.", a.Name, want)
}

// str decodes a string attribute. Other types are an error, not converted.
func str[T any](field func(T) *string) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if s, ok := d.stringValue(a); ok {
			*field(target.(T)) = s
		}
	}
}

func (d *decoder) stringValue(a *hclsyntax.Attribute) (string, bool) {
	v, ok := d.attrValue(a)
	if !ok {
		return "", false
	}
	if v.Type() != cty.String {
		d.typeError(a, "string")
		return "", false
	}
	return v.AsString(), true
}

// oneOf decodes a string attribute that must be one of allowed.
func oneOf[T any](field func(T) *string, allowed ...string) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		s, ok := d.stringValue(a)
		if !ok {
			return
		}
		if !slices.Contains(allowed, s) {
			hint := ""
			if sg := suggest(s, allowed); sg != "" {
				hint = fmt.Sprintf(" Did you mean %q?", sg)
			}
			d.errorf(a.Expr.Range(), "Invalid "+a.Name, "%s %q is not one of %s.%s", a.Name, s, quoteAll(allowed), hint)
			return
		}
		*field(target.(T)) = s
	}
}

// integer decodes a whole-number attribute; negative values are an error
// when natural is set.
func integer[T any](field func(T) *int, natural bool) attrFunc {
	lo := int64(math.MinInt32)
	if natural {
		lo = 0
	}
	return bounded(field, lo, math.MaxInt32)
}

// bounded decodes a whole number from lo to hi into a field of any integer
// type.
func bounded[T any, N ~int | ~int8 | ~uint8](field func(T) *N, lo, hi int64) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		v, ok := d.attrValue(a)
		if !ok {
			return
		}
		if i, ok := d.checkInt(a, v, lo, hi); ok {
			*field(target.(T)) = N(i)
		}
	}
}

// intPtr decodes a whole number (from MinInt32 to MaxInt32) into a pointer
// field, so that 0 can be told apart from "not set".
func intPtr[T any](field func(T) **int) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		v, ok := d.attrValue(a)
		if !ok {
			return
		}
		if i, ok := d.checkInt(a, v, math.MinInt32, math.MaxInt32); ok {
			n := int(i)
			*field(target.(T)) = &n
		}
	}
}

// checkInt checks that v is a whole number from lo to hi.
func (d *decoder) checkInt(a *hclsyntax.Attribute, v cty.Value, lo, hi int64) (int64, bool) {
	if v.Type() != cty.Number {
		d.typeError(a, "number")
		return 0, false
	}
	bf := v.AsBigFloat()
	i, acc := bf.Int64()
	exact := bf.IsInt() && acc == big.Exact
	switch {
	case exact && i < 0 && lo == 0:
		d.errorf(a.Expr.Range(), "Invalid "+a.Name, "%s must not be negative, got %d.", a.Name, i)
		return 0, false
	case !exact || i > hi || i < lo:
		d.errorf(a.Expr.Range(), "Invalid "+a.Name, "%s must be a whole number from %d to %d, got %s.",
			a.Name, lo, hi, bf.Text('g', 10))
		return 0, false
	}
	return i, true
}

// text decodes a string attribute that may also be written as a number or
// a bool (value = 3 in a constraint, port = 8080 in a service): the value
// becomes its string form.
func text[T any](field func(T) *string) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if s, ok := d.textValue(a); ok {
			*field(target.(T)) = s
		}
	}
}

func (d *decoder) textValue(a *hclsyntax.Attribute) (string, bool) {
	v, ok := d.attrValue(a)
	if !ok {
		return "", false
	}
	if !v.Type().IsPrimitiveType() {
		d.typeError(a, "string")
		return "", false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() {
		d.typeError(a, "string")
		return "", false
	}
	return s.AsString(), true
}

// boolean decodes a bool attribute.
func boolean[T any](field func(T) *bool) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if b, ok := d.boolValue(a); ok {
			*field(target.(T)) = b
		}
	}
}

func (d *decoder) boolValue(a *hclsyntax.Attribute) (bool, bool) {
	v, ok := d.attrValue(a)
	if !ok {
		return false, false
	}
	if v.Type() != cty.Bool {
		d.typeError(a, "bool")
		return false, false
	}
	return v.True(), true
}

// duration decodes a duration string ("30s", "1h30m"); negative durations
// are an error.
func duration[T any](field func(T) *time.Duration) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if dur, ok := d.durationValue(a); ok {
			*field(target.(T)) = dur
		}
	}
}

// durationPtr decodes a duration into a pointer field, so that "0s" can be
// told apart from "not set".
func durationPtr[T any](field func(T) **time.Duration) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if dur, ok := d.durationValue(a); ok {
			*field(target.(T)) = &dur
		}
	}
}

func (d *decoder) durationValue(a *hclsyntax.Attribute) (time.Duration, bool) {
	s, ok := d.stringValue(a)
	if !ok {
		return 0, false
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(a.Expr.Range(), "Invalid duration", "%s: %q is not a duration; use a number and a unit (ns, us, ms, s, m, h), like \"30s\" or \"1h30m\".", a.Name, s)
		return 0, false
	}
	if dur < 0 {
		d.errorf(a.Expr.Range(), "Invalid duration", "%s: %q must not be negative.", a.Name, s)
		return 0, false
	}
	return dur, true
}

// stringList decodes a list of strings.
func stringList[T any](field func(T) *[]string) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		v, ok := d.attrValue(a)
		if !ok {
			return
		}
		if out, ok := d.stringListOf(a, v); ok {
			*field(target.(T)) = out
		}
	}
}

// stringListOf converts v, the value of a, to a list of strings.
func (d *decoder) stringListOf(a *hclsyntax.Attribute, v cty.Value) ([]string, bool) {
	t := v.Type()
	if !t.IsTupleType() && !t.IsListType() && !t.IsSetType() {
		d.typeError(a, "list of string")
		return nil, false
	}
	out := []string{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || e.Type() != cty.String {
			d.typeError(a, "list of string")
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

// boolPtr decodes a bool into a pointer field, so that false can be told
// apart from "not set".
func boolPtr[T any](field func(T) **bool) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if b, ok := d.boolValue(a); ok {
			*field(target.(T)) = &b
		}
	}
}

// stringMapAttr decodes "meta = { k = v }": an object of primitive values,
// converted to strings.
func stringMapAttr[T any](field func(T) *map[string]string) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		v, ok := d.attrValue(a)
		if !ok {
			return
		}
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			d.typeError(a, "map of string")
			return
		}
		m := *field(target.(T))
		if m == nil {
			m = map[string]string{}
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			s, err := convert.Convert(e, cty.String)
			if err != nil || s.IsNull() {
				d.errorf(a.Expr.Range(), "Incorrect attribute value type", "Inappropriate value for attribute %q: element %q: string required.", a.Name, k.AsString())
				continue
			}
			m[k.AsString()] = s.AsString()
		}
		*field(target.(T)) = m
	}
}

// stringMapBlock decodes "meta { k = v }": every attribute of the block is
// an entry, its primitive value converted to a string.
func stringMapBlock[T any](field func(T) *map[string]string) blockRule {
	return one(func(d *decoder, target any, b *hclsyntax.Block) {
		if !d.checkLabels(b, nil) {
			return
		}
		for _, nb := range b.Body.Blocks {
			d.errorf(nb.TypeRange, "Unsupported block type", "Blocks of type %q are not expected in a %s block: it holds only key = value pairs.", nb.Type, b.Type)
		}
		m := *field(target.(T))
		if m == nil {
			m = map[string]string{}
		}
		for _, a := range sortedAttrs(b.Body) {
			v, ok := d.attrValue(a)
			if !ok {
				continue
			}
			s, err := convert.Convert(v, cty.String)
			if err != nil || s.IsNull() {
				d.typeError(a, "string")
				continue
			}
			m[a.Name] = s.AsString()
		}
		*field(target.(T)) = m
	})
}
