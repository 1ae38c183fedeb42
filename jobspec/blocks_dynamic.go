package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// This file expands HCL's dynamic blocks, which Nomad job files use to
// repeat a block over a collection:
//
//	dynamic "template" {
//	  for_each = var.files
//	  labels   = []              // the generated blocks' labels, if any
//	  iterator = f               // default: the block type
//	  content {
//	    destination = "local/${f.key}"
//	    data        = f.value
//	  }
//	}
//
// Each element generates one block of the named type, decoded by that
// type's rule exactly as if it had been written out; inside content the
// iterator's key and value are parse-time values.

// expandDynamic expands b, a dynamic block, calling each with every block
// it generates while the block's iterator is in scope. The generated
// block's type range is the dynamic block's label, so that errors about
// it (unknown type, duplicate) point there.
func (d *decoder) expandDynamic(b *hclsyntax.Block, each func(gen *hclsyntax.Block)) {
	if !d.checkLabels(b, []string{"block type"}) {
		return
	}
	typ := b.Labels[0]
	dyn, ok := d.dynamicSpec(b)
	if !ok {
		return
	}
	iter := typ
	if dyn.iterator != nil {
		if iter = hcl.ExprAsKeyword(dyn.iterator.Expr); iter == "" {
			d.errorf(dyn.iterator.Expr.Range(), "Invalid dynamic iterator name", "The iterator must be a bare name, like iterator = f.")
			return
		}
	}
	if d.hasRuntimeRefs(dyn.forEach.Expr) {
		d.errorf(dyn.forEach.Expr.Range(), "Invalid dynamic for_each value", "for_each must be known when the job is parsed: it may not refer to runtime variables (attr, node, meta, env, NOMAD_*).")
		return
	}
	coll := d.value(dyn.forEach.Expr)
	if !coll.IsKnown() {
		return // already reported
	}
	if coll.IsNull() || !coll.CanIterateElements() {
		d.errorf(dyn.forEach.Expr.Range(), "Invalid dynamic for_each value", "for_each must be a list, a set or a map.")
		return
	}
	for it := coll.ElementIterator(); it.Next(); {
		if !d.countGenerated(b) {
			return
		}
		k, v := it.Element()
		d.withIterator(iter, cty.ObjectVal(map[string]cty.Value{"key": k, "value": v}), func() {
			if gen, ok := d.generatedBlock(typ, b, dyn); ok {
				each(gen)
			}
		})
	}
}

// MaxGeneratedBlocks bounds the blocks the dynamic blocks of one file may
// generate in all, nested ones multiplying: a few lines must not make the
// parser build millions of blocks.
const MaxGeneratedBlocks = 4096

// countGenerated counts one more generated block; past the bound it
// reports the file, once, and returns false.
func (d *decoder) countGenerated(b *hclsyntax.Block) bool {
	d.generated++
	if d.generated <= MaxGeneratedBlocks {
		return true
	}
	if d.generated == MaxGeneratedBlocks+1 {
		d.errorf(b.TypeRange, "Too many dynamic blocks", "The dynamic blocks of this file generate more than %d blocks.", MaxGeneratedBlocks)
	}
	return false
}

// dynamicParts are the arguments and content of a dynamic block.
type dynamicParts struct {
	forEach, iterator, labels *hclsyntax.Attribute
	content                   *hclsyntax.Block
}

func (d *decoder) dynamicSpec(b *hclsyntax.Block) (dynamicParts, bool) {
	var p dynamicParts
	ok := true
	for _, a := range sortedAttrs(b.Body) {
		switch a.Name {
		case "for_each":
			p.forEach = a
		case "iterator":
			p.iterator = a
		case "labels":
			p.labels = a
		default:
			d.errorf(a.NameRange, "Unsupported argument", "An argument named %q is not expected in a dynamic block: it takes for_each, iterator, labels and one content block.", a.Name)
			ok = false
		}
	}
	for _, nb := range b.Body.Blocks {
		switch {
		case nb.Type != "content":
			d.errorf(nb.TypeRange, "Unsupported block type", "Blocks of type %q are not expected in a dynamic block: write the generated block's body in a content block.", nb.Type)
			ok = false
		case p.content != nil:
			d.errorf(nb.TypeRange, "Duplicate content block", "A dynamic block has one content block; the first is at line %d.", p.content.TypeRange.Start.Line)
			ok = false
		case !d.checkLabels(nb, nil):
			ok = false
		default:
			p.content = nb
		}
	}
	if p.forEach == nil {
		d.errorf(b.OpenBraceRange, "Missing for_each", "A dynamic block needs for_each, the collection to repeat its content over.")
		ok = false
	}
	if p.content == nil {
		d.errorf(b.OpenBraceRange, "Missing content block", "A dynamic block needs a content block: the body of each generated block.")
		ok = false
	}
	return p, ok
}

// withIterator runs f with the iterator name bound, as a parse-time value,
// to val.
func (d *decoder) withIterator(name string, val cty.Value, f func()) {
	outer, wasParseTime := d.ctx, d.parseTime[name]
	d.ctx = outer.NewChild()
	d.ctx.Variables = map[string]cty.Value{name: val}
	d.parseTime[name] = true
	defer func() {
		d.ctx = outer
		if !wasParseTime {
			delete(d.parseTime, name)
		}
	}()
	f()
}

// generatedBlock is the block one element of a dynamic block stands for:
// its type, the evaluated labels, and the content's body.
func (d *decoder) generatedBlock(typ string, b *hclsyntax.Block, p dynamicParts) (*hclsyntax.Block, bool) {
	gen := &hclsyntax.Block{
		Type:            typ,
		Body:            p.content.Body,
		TypeRange:       b.LabelRanges[0],
		OpenBraceRange:  p.content.OpenBraceRange,
		CloseBraceRange: p.content.CloseBraceRange,
	}
	if p.labels == nil {
		return gen, true
	}
	v, ok := d.attrValue(p.labels)
	if !ok {
		return nil, false
	}
	labels, ok := d.stringListOf(p.labels, v)
	if !ok {
		return nil, false
	}
	gen.Labels = labels
	for range labels {
		gen.LabelRanges = append(gen.LabelRanges, p.labels.Expr.Range())
	}
	return gen, true
}
