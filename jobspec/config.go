package jobspec

import (
	"math/big"

	"github.com/drover-sh/drover"
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
})

// configBody decodes a body into a map: each attribute becomes its Go value
// (see goValue); each nested block becomes a map under its type, or, when
// the type repeats, a []any of maps in source order. A labelled block
// `x "a" { ... }` nests as x: {"a": {...}}.
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
	for _, b := range body.Blocks {
		if _, isAttr := body.Attributes[b.Type]; isAttr {
			d.errorf(b.TypeRange, "Duplicate "+b.Type, "%q is given both as an argument and as a block.", b.Type)
			continue
		}
		var item any = d.configBody(b.Body)
		for i := len(b.Labels) - 1; i >= 0; i-- {
			item = map[string]any{b.Labels[i]: item}
		}
		if counts[b.Type] == 1 {
			out[b.Type] = item
			continue
		}
		list, _ := out[b.Type].([]any)
		out[b.Type] = append(list, item)
	}
	return out
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
