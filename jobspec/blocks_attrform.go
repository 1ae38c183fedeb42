package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// This file holds attribute decoders shared by several blocks: deprecated
// arguments, maps of string lists, the refused vault block, and the older
// attribute form of blocks (artifact = { ... }).

// deprecated wraps f to warn that the argument is deprecated, with why.
func deprecated(f attrFunc, format string, args ...any) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		d.warnf(a.NameRange, "Deprecated argument", format, args...)
		f(d, target, a)
	}
}

// vaultMessage is why drover refuses a vault block or argument.
const vaultMessage = "drover keeps secrets itself: use variables and workload identity instead of vault (see docs/secrets.md)"

// refusedVault is the rule for a vault block at any level.
var refusedVault = blockRule{repeatable: true, decode: func(d *decoder, _ any, b *hclsyntax.Block) {
	d.errorf(b.TypeRange, "Unsupported block", "block %q: %s", b.Type, vaultMessage)
}}

// refusedVaultAttr is the attrFunc for vault_token and vault_namespace.
func refusedVaultAttr(d *decoder, _ any, a *hclsyntax.Attribute) {
	d.errorf(a.NameRange, "Unsupported argument", "argument %q: %s", a.Name, vaultMessage)
}

// stringListMapAttr decodes "header = { Name = ["v"] }" into a map of
// string lists.
func stringListMapAttr[T any](field func(T) *map[string][]string) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		v, ok := d.attrValue(a)
		if !ok {
			return
		}
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			d.typeError(a, "map of list of string")
			return
		}
		m := *field(target.(T))
		if m == nil {
			m = map[string][]string{}
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if l, ok := d.stringListOf(a, e); ok {
				m[k.AsString()] = l
			}
		}
		*field(target.(T)) = m
	}
}

// stringListMapBlock decodes "header { Name = ["v"] }": every attribute
// of the block is an entry holding a list of strings.
func stringListMapBlock[T any](field func(T) *map[string][]string) blockRule {
	return one(func(d *decoder, target any, b *hclsyntax.Block) {
		if !d.checkLabels(b, nil) {
			return
		}
		for _, nb := range b.Body.Blocks {
			d.errorf(nb.TypeRange, "Unsupported block type", "Blocks of type %q are not expected in a %s block: it holds only key = [values] pairs.", nb.Type, b.Type)
		}
		m := *field(target.(T))
		if m == nil {
			m = map[string][]string{}
		}
		for _, a := range sortedAttrs(b.Body) {
			v, ok := d.attrValue(a)
			if !ok {
				continue
			}
			if l, ok := d.stringListOf(a, v); ok {
				m[a.Name] = l
			}
		}
		*field(target.(T)) = m
	})
}

// objectBodies turns the attribute form of a block, name = { ... } or
// name = [{ ... }, ...], into one body per object, so that the block's own
// spec decodes it with the same checks and messages. It reports an
// attribute of any other shape.
func (d *decoder) objectBodies(a *hclsyntax.Attribute) []*hclsyntax.Body {
	var objs []*hclsyntax.ObjectConsExpr
	switch e := a.Expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		objs = append(objs, e)
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			o, ok := x.(*hclsyntax.ObjectConsExpr)
			if !ok {
				d.errorf(x.Range(), "Incorrect attribute value type", "Each element of %q must be written as an object { ... }.", a.Name)
				return nil
			}
			objs = append(objs, o)
		}
	default:
		d.errorf(a.Expr.Range(), "Incorrect attribute value type", "%q must be written as an object { ... }, or better as a block: %s { ... }.", a.Name, a.Name)
		return nil
	}
	bodies := make([]*hclsyntax.Body, 0, len(objs))
	for _, o := range objs {
		bodies = append(bodies, d.objectBody(o))
	}
	return bodies
}

func (d *decoder) objectBody(o *hclsyntax.ObjectConsExpr) *hclsyntax.Body {
	body := &hclsyntax.Body{Attributes: hclsyntax.Attributes{}, SrcRange: o.SrcRange, EndRange: o.SrcRange}
	for _, item := range o.Items {
		name := hcl.ExprAsKeyword(item.KeyExpr)
		if name == "" {
			k := d.value(item.KeyExpr)
			if !k.IsKnown() || k.IsNull() || k.Type() != cty.String {
				d.errorf(item.KeyExpr.Range(), "Invalid object key", "Object keys must be names or strings.")
				continue
			}
			name = k.AsString()
		}
		if prev, dup := body.Attributes[name]; dup {
			d.errorf(item.KeyExpr.Range(), "Duplicate argument", "The argument %q was already set at line %d.", name, prev.NameRange.Start.Line)
			continue
		}
		body.Attributes[name] = &hclsyntax.Attribute{
			Name:      name,
			Expr:      item.ValueExpr,
			SrcRange:  hcl.RangeBetween(item.KeyExpr.Range(), item.ValueExpr.Range()),
			NameRange: item.KeyExpr.Range(),
		}
	}
	return body
}
