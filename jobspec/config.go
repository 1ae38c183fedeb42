package jobspec

import (
	"math/big"

	"github.com/drover-sh/drover"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// configBlock is the rule for a task's driver config: an opaque body that
// only the driver understands. It is decoded without a schema into Go values
// (see configBody); the driver validates it when the task starts.
var configBlock = one(func(d *decoder, target any, b *hclsyntax.Block) {
	if !d.checkLabels(b, nil) {
		return
	}
	t := target.(*drover.Task)
	t.Config = d.configBody(b.Body)
	if a, ok := b.Body.Attributes["port_map"]; ok {
		d.warnPortMap(a.NameRange)
	}
	for _, nb := range b.Body.Blocks {
		if nb.Type == "port_map" {
			d.warnPortMap(nb.TypeRange)
		}
	}
})

// configAttr decodes the attribute form config = { ... }, which older job
// files use: an object, decoded like the block.
func configAttr(d *decoder, target any, a *hclsyntax.Attribute) {
	v, ok := d.attrValue(a)
	if !ok {
		return
	}
	if !v.Type().IsObjectType() && !v.Type().IsMapType() {
		d.typeError(a, "object")
		return
	}
	m, _ := goValue(v).(map[string]any)
	target.(*drover.Task).Config = m
	if _, ok := m["port_map"]; ok {
		d.warnPortMap(a.NameRange)
	}
}

// warnPortMap warns about docker's port_map, which Nomad deprecated when
// ports moved to the group's network.
func (d *decoder) warnPortMap(rng hcl.Range) {
	d.warnf(rng, "Deprecated port_map", "port_map in the driver config is deprecated: give the port's \"to\" in the group's network block and list the labels in config { ports = [...] }.")
}

// configBody decodes a body into a map: each attribute becomes its Go value
// (see goValue); each nested block becomes a map under its type, or, when
// the type repeats, a []any of maps in source order. A labelled block
// `x "a" { ... }` nests as x: {"a": {...}}. Dynamic blocks are expanded
// (blocks_dynamic.go); the blocks they generate always make a list, since
// their number depends on the data.
func (d *decoder) configBody(body *hclsyntax.Body) map[string]any {
	out := map[string]any{}
	for _, a := range sortedAttrs(body) {
		v := d.value(a.Expr)
		if !v.IsKnown() {
			continue
		}
		out[a.Name] = goValue(v)
	}
	counts := map[string]int{}
	for _, b := range body.Blocks {
		counts[b.Type]++
	}
	add := func(b *hclsyntax.Block, asList bool) {
		if _, isAttr := body.Attributes[b.Type]; isAttr {
			d.errorf(b.TypeRange, "Duplicate "+b.Type, "%q is given both as an argument and as a block.", b.Type)
			return
		}
		var item any = d.configBody(b.Body)
		for i := len(b.Labels) - 1; i >= 0; i-- {
			item = map[string]any{b.Labels[i]: item}
		}
		if !asList {
			out[b.Type] = item
			return
		}
		list, _ := out[b.Type].([]any)
		out[b.Type] = append(list, item)
	}
	for _, b := range body.Blocks {
		if b.Type == "dynamic" {
			d.expandDynamic(b, func(gen *hclsyntax.Block) { add(gen, true) })
			continue
		}
		add(b, counts[b.Type] > 1 || counts["dynamic"] > 0 && d.generates(body, b.Type))
	}
	return out
}

// generates reports whether a dynamic block of body generates blocks of
// type typ, so that a written block of that type joins their list.
func (d *decoder) generates(body *hclsyntax.Body, typ string) bool {
	for _, b := range body.Blocks {
		if b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == typ {
			return true
		}
	}
	return false
}

// goValue converts a known cty value into plain Go values: string, int64
// for whole numbers that fit, float64 for other numbers, bool, []any for
// lists, tuples and sets, map[string]any for maps and objects, nil for null.
func goValue(v cty.Value) any {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		bf := v.AsBigFloat()
		if i, acc := bf.Int64(); bf.IsInt() && acc == big.Exact {
			return i
		}
		f, _ := bf.Float64()
		return f
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, goValue(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = goValue(e)
		}
		return out
	}
	return nil
}
