package jobspec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// This file is the language pass: before the job is decoded, it decodes the
// file's variable, variables and locals blocks, gives each variable its
// value (default < environment < -var-file < -var) and each local its
// value (in dependency order), and puts them in the evaluation context as
// var.* and local.*.

// variable is one input variable declared by the job file.
type variable struct {
	name      string
	declRange hcl.Range // the block's type and labels, or the attribute's name
	typ       cty.Type  // cty.DynamicPseudoType when no type was given
	defaults  *typeexpr.Defaults
	def       *hclsyntax.Attribute // the default, nil when there is none
	// description and sensitive are accepted for Nomad compatibility;
	// a sensitive variable's value is never quoted in messages.
	description string
	sensitive   bool
	validations []*validation
	value       cty.Value
	set         bool // value holds a value from some source
}

// validation is one validation block of a variable.
type validation struct {
	condition hclsyntax.Expression
	message   string
}

var variableSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"type": func(d *decoder, target any, a *hclsyntax.Attribute) {
			v := target.(*variable)
			t, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
			d.diags = append(d.diags, diags...)
			if !diags.HasErrors() {
				v.typ, v.defaults = t, defaults
			}
		},
		"default":     func(_ *decoder, target any, a *hclsyntax.Attribute) { target.(*variable).def = a },
		"description": str(func(v *variable) *string { return &v.description }),
		"sensitive":   boolean(func(v *variable) *bool { return &v.sensitive }),
	},
	blocks: map[string]blockRule{
		"validation": many(nested(nil, validationSpec, openValidation, finishValidation)),
	},
}

var validationSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"condition": func(_ *decoder, target any, a *hclsyntax.Attribute) {
			target.(*validation).condition = a.Expr
		},
		"error_message": func(d *decoder, target any, a *hclsyntax.Attribute) {
			// Decoded without var.* (not in the context yet): a literal.
			v, diags := a.Expr.Value(&hcl.EvalContext{Functions: d.ctx.Functions})
			d.diags = append(d.diags, diags...)
			if diags.HasErrors() {
				return
			}
			if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
				d.typeError(a, "string")
				return
			}
			target.(*validation).message = v.AsString()
		},
	},
	blocks: map[string]blockRule{},
}

func openValidation(_ *decoder, v *variable, _ *hclsyntax.Block) (*validation, bool) {
	val := &validation{}
	v.validations = append(v.validations, val)
	return val, true
}

func finishValidation(d *decoder, val *validation, b *hclsyntax.Block) {
	if val.condition == nil {
		d.errorf(b.OpenBraceRange, "Missing condition", "A validation block needs a condition, like: condition = var.port > 1024.")
	}
	if val.message == "" {
		d.errorf(b.OpenBraceRange, "Missing error_message", "A validation block needs an error_message saying what a valid value is.")
	}
}

// languageScope is what the language pass declares: variables in source
// order and locals by name.
type languageScope struct {
	vars      []*variable
	varByName map[string]*variable
	locals    []*hclsyntax.Attribute
	localByNm map[string]*hclsyntax.Attribute
}

// decodeLanguage runs the language pass over the file's root body and puts
// var.* and local.* into d.ctx.
func (d *decoder) decodeLanguage(body *hclsyntax.Body, opts Options) {
	s := &languageScope{varByName: map[string]*variable{}, localByNm: map[string]*hclsyntax.Attribute{}}
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			d.declareVariable(s, b)
		case "variables":
			d.declareVariables(s, b)
		case "locals":
			d.declareLocals(s, b)
		}
	}
	d.ctx.Variables["var"] = cty.EmptyObjectVal
	d.ctx.Variables["local"] = cty.EmptyObjectVal
	d.assignDefaults(s)
	d.assignFromEnv(s, opts.Environ)
	for _, path := range opts.VarFiles {
		d.assignFromFile(s, path)
	}
	for _, kv := range opts.Vars {
		d.assignFromFlag(s, kv)
	}
	d.requireValues(s)
	vals := make(map[string]cty.Value, len(s.vars))
	for _, v := range s.vars {
		vals[v.name] = v.value
	}
	d.ctx.Variables["var"] = cty.ObjectVal(vals)
	d.validateVariables(s)
	d.evalLocals(s)
}

func (d *decoder) declareVariable(s *languageScope, b *hclsyntax.Block) {
	if !d.checkLabels(b, []string{"name"}) {
		return
	}
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		d.errorf(b.LabelRanges[0], "Invalid variable name", "%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", name)
		return
	}
	v := &variable{name: name, typ: cty.DynamicPseudoType,
		declRange: hcl.RangeBetween(b.TypeRange, b.LabelRanges[0])}
	d.decodeBody(b.Body, variableSpec, v)
	d.addVariable(s, v)
}

// declareVariables decodes Nomad's older form, variables { name = default }.
func (d *decoder) declareVariables(s *languageScope, b *hclsyntax.Block) {
	if !d.checkLabels(b, nil) {
		return
	}
	for _, nb := range b.Body.Blocks {
		d.errorf(nb.TypeRange, "Unsupported block type", "A variables block holds only name = default pairs; declare a variable with type or validation in its own variable %q block.", nb.Type)
	}
	for _, a := range sortedAttrs(b.Body) {
		d.addVariable(s, &variable{name: a.Name, typ: cty.DynamicPseudoType, declRange: a.NameRange, def: a})
	}
}

func (d *decoder) addVariable(s *languageScope, v *variable) {
	if prev, dup := s.varByName[v.name]; dup {
		d.errorf(v.declRange, "Duplicate variable", "A variable named %q is already declared at line %d.", v.name, prev.declRange.Start.Line)
		return
	}
	s.varByName[v.name] = v
	s.vars = append(s.vars, v)
}

func (d *decoder) declareLocals(s *languageScope, b *hclsyntax.Block) {
	if !d.checkLabels(b, nil) {
		return
	}
	for _, nb := range b.Body.Blocks {
		d.errorf(nb.TypeRange, "Unsupported block type", "A locals block holds only name = value pairs, not %q blocks.", nb.Type)
	}
	for _, a := range sortedAttrs(b.Body) {
		if prev, dup := s.localByNm[a.Name]; dup {
			d.errorf(a.NameRange, "Duplicate local value", "A local value named %q is already defined at line %d.", a.Name, prev.NameRange.Start.Line)
			continue
		}
		s.localByNm[a.Name] = a
		s.locals = append(s.locals, a)
	}
}

// assignDefaults evaluates every default. A default may call functions but
// refer to no variable.
func (d *decoder) assignDefaults(s *languageScope) {
	ctx := &hcl.EvalContext{Functions: d.ctx.Functions}
	for _, v := range s.vars {
		if v.def == nil {
			continue
		}
		val, diags := v.def.Expr.Value(ctx)
		d.diags = append(d.diags, diags...)
		if diags.HasErrors() {
			v.value, v.set = cty.DynamicVal, true
			continue
		}
		v.value, v.set = d.convertVar(v, val, v.def.Expr.Range(), "default"), true
	}
}

// convertVar converts val to v's type, reporting at rng when it does not
// fit. It returns cty.DynamicVal on failure.
func (d *decoder) convertVar(v *variable, val cty.Value, rng hcl.Range, source string) cty.Value {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	out, err := convert.Convert(val, v.typ)
	if err != nil {
		d.errorf(rng, "Invalid value for variable", "The %s of variable %q does not fit its type %s: %s.",
			source, v.name, typeexpr.TypeString(v.typ), convertMessage(err))
		return cty.DynamicVal
	}
	return out
}

// convertMessage words a conversion error, with its path when it has one.
func convertMessage(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "element ") || strings.HasPrefix(msg, "attribute ") {
		return msg // cty named the path already
	}
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) > 0 {
		return fmt.Sprintf("%s: %s", formatPath(pe.Path), pe.Error())
	}
	return err.Error()
}

func formatPath(p cty.Path) string {
	out := "value"
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			out += "." + s.Name
		case cty.IndexStep:
			if s.Key.Type() == cty.String {
				out += fmt.Sprintf("[%q]", s.Key.AsString())
			} else if s.Key.Type() == cty.Number {
				out += "[" + s.Key.AsBigFloat().Text('f', -1) + "]"
			}
		}
	}
	return out
}

// requireValues reports every variable left without a value.
func (d *decoder) requireValues(s *languageScope) {
	for _, v := range s.vars {
		if v.set {
			continue
		}
		d.errorf(v.declRange, "Missing variable value",
			"variable %q is required: set it with -var %s=..., -var-file, or NOMAD_VAR_%s.", v.name, v.name, v.name)
		v.value = cty.DynamicVal
	}
}

// validateVariables runs each variable's validation conditions, which see
// only var.<that variable> and the functions.
func (d *decoder) validateVariables(s *languageScope) {
	for _, v := range s.vars {
		if !v.value.IsWhollyKnown() {
			continue // no value: already reported
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.name: v.value})},
			Functions: d.ctx.Functions,
		}
		for _, val := range v.validations {
			if val.condition == nil {
				continue
			}
			d.checkCondition(v, val, ctx)
		}
	}
}

func (d *decoder) checkCondition(v *variable, val *validation, ctx *hcl.EvalContext) {
	rng := val.condition.Range()
	for _, t := range val.condition.Variables() {
		if name, ok := varName(t); !ok || name != v.name {
			d.errorf(t.SourceRange(), "Invalid reference in variable validation",
				"The condition of a validation of variable %q may refer only to var.%s.", v.name, v.name)
			return
		}
	}
	res, diags := val.condition.Value(ctx)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() {
		return
	}
	res, err := convert.Convert(res, cty.Bool)
	if err != nil || res.IsNull() || !res.IsKnown() {
		d.errorf(rng, "Invalid validation condition", "The condition of a validation of variable %q must be a bool.", v.name)
		return
	}
	if res.False() {
		d.errorf(rng, "Invalid value for variable", "Variable %q: %s", v.name, val.message)
	}
}

// evalLocals evaluates the locals in dependency order (each after the locals
// it refers to), reporting cycles. A local may hold runtime interpolations:
// they stay "${...}" text, as everywhere in the job. The walk is iterative
// and each local is evaluated seeing only the locals it names, so long
// chains and many locals cost linear time and no deep stack.
func (d *decoder) evalLocals(s *languageScope) {
	vals := map[string]cty.Value{}
	failed := map[string]bool{}
	state := map[string]int{} // 0 new, 1 on the stack, 2 done
	type frame struct {
		a    *hclsyntax.Attribute
		deps []string
		next int
	}
	for _, root := range s.locals {
		if state[root.Name] != 0 {
			continue
		}
		state[root.Name] = 1
		stack := []*frame{{a: root, deps: localRefs(root.Expr)}}
		for len(stack) > 0 {
			f := stack[len(stack)-1]
			if f.next < len(f.deps) {
				dep := f.deps[f.next]
				f.next++
				da, ok := s.localByNm[dep]
				switch {
				case !ok:
					// An undefined local: evaluation reports it.
				case state[dep] == 1:
					path := make([]string, len(stack))
					for i, fr := range stack {
						path[i] = fr.a.Name
					}
					d.errorf(f.a.NameRange, "Cycle in locals", "The locals refer to each other in a cycle: %s.", cyclePath(path, dep))
					failed[dep] = true
				case state[dep] == 0:
					state[dep] = 1
					stack = append(stack, &frame{a: da, deps: localRefs(da.Expr)})
				}
				continue
			}
			vals[f.a.Name] = d.evalLocal(s, f.a, f.deps, vals, failed[f.a.Name])
			state[f.a.Name] = 2
			stack = stack[:len(stack)-1]
		}
	}
	d.ctx.Variables["local"] = cty.ObjectVal(vals)
}

// evalLocal evaluates local a, whose dependencies deps are evaluated (or,
// in a cycle, unknown).
func (d *decoder) evalLocal(s *languageScope, a *hclsyntax.Attribute, deps []string, vals map[string]cty.Value, failed bool) cty.Value {
	if failed {
		return cty.DynamicVal
	}
	seen := make(map[string]cty.Value, len(deps))
	for _, dep := range deps {
		if v, ok := vals[dep]; ok {
			seen[dep] = v
		} else if _, declared := s.localByNm[dep]; declared {
			seen[dep] = cty.DynamicVal
		}
	}
	d.ctx.Variables["local"] = cty.ObjectVal(seen)
	return d.value(a.Expr)
}

// cyclePath renders the chain of locals from dep back to dep.
func cyclePath(path []string, dep string) string {
	start := 0
	for i, n := range path {
		if n == dep {
			start = i
		}
	}
	out := ""
	for _, n := range append(path[start:], dep) {
		if out != "" {
			out += " → "
		}
		out += "local." + n
	}
	return out
}

// localRefs returns the names of the locals expr refers to, sorted.
func localRefs(expr hclsyntax.Expression) []string {
	seen := map[string]bool{}
	for _, t := range expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		if step, ok := t[1].(hcl.TraverseAttr); ok {
			seen[step.Name] = true
		}
	}
	out := keys(seen)
	sort.Strings(out)
	return out
}

// explainUndeclared rewords hcl's "Unsupported attribute" errors for
// var.x and local.x references to a name nobody declared, with a "did you
// mean" among the declared names.
func (d *decoder) explainUndeclared(body *hclsyntax.Body) {
	if !d.diags.HasErrors() {
		return
	}
	type ref struct{ root, name string }
	refs := map[hcl.Pos]ref{}
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		e, ok := n.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(e.Traversal) < 2 || (e.Traversal.RootName() != "var" && e.Traversal.RootName() != "local") {
			return nil
		}
		if step, ok := e.Traversal[1].(hcl.TraverseAttr); ok {
			refs[step.SrcRange.Start] = ref{e.Traversal.RootName(), step.Name}
		}
		return nil
	})
	for _, diag := range d.diags {
		if diag.Severity != hcl.DiagError || diag.Summary != "Unsupported attribute" || diag.Subject == nil {
			continue
		}
		r, ok := refs[diag.Subject.Start]
		if !ok {
			continue
		}
		declared := d.ctx.Variables[r.root]
		if declared.Type().IsObjectType() && declared.Type().HasAttribute(r.name) {
			continue
		}
		names := keys(declared.Type().AttributeTypes())
		if r.root == "var" {
			diag.Summary = "Reference to undeclared variable"
			diag.Detail = fmt.Sprintf("No variable %q is declared.", r.name)
		} else {
			diag.Summary = "Reference to undeclared local value"
			diag.Detail = fmt.Sprintf("No local value %q is defined.", r.name)
		}
		if sg := suggest(r.name, names); sg != "" {
			diag.Detail += fmt.Sprintf(" Did you mean %q?", sg)
		} else if r.root == "var" {
			diag.Detail += fmt.Sprintf(" Declare it with a variable %q block.", r.name)
		}
	}
}

// varName returns x for a traversal var.x.
func varName(t hcl.Traversal) (string, bool) {
	if t.RootName() != "var" || len(t) < 2 {
		return "", false
	}
	step, ok := t[1].(hcl.TraverseAttr)
	return step.Name, ok
}
