package jobspec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// blockSpec declares what may appear in the body of one kind of block: its
// attributes and its nested blocks, each with the function that decodes it
// into the Go value the block is being decoded into (the target).
type blockSpec struct {
	attrs  map[string]attrFunc
	blocks map[string]blockRule
}

// attrFunc decodes attribute a into target.
type attrFunc func(d *decoder, target any, a *hclsyntax.Attribute)

// blockRule says how a nested block is decoded and whether it may repeat.
type blockRule struct {
	decode     func(d *decoder, target any, b *hclsyntax.Block)
	repeatable bool
}

// decodeBody walks body against spec, decoding every attribute and block
// into target and reporting everything spec does not know.
func (d *decoder) decodeBody(body *hclsyntax.Body, spec *blockSpec, target any) {
	seen := map[string]hcl.Range{}
	for _, a := range sortedAttrs(body) {
		dec, ok := spec.attrs[a.Name]
		if !ok {
			d.unknownAttr(spec, a)
			continue
		}
		seen[a.Name] = a.NameRange
		dec(d, target, a)
	}
	for _, b := range body.Blocks {
		if b.Type == "dynamic" {
			d.expandDynamic(b, func(gen *hclsyntax.Block) { d.decodeBlock(body, spec, target, gen, seen) })
			continue
		}
		d.decodeBlock(body, spec, target, b, seen)
	}
}

// decodeBlock decodes b, a block of body, by its rule in spec. seen holds
// the names of the arguments and of the blocks that may not repeat already
// decoded in body.
func (d *decoder) decodeBlock(body *hclsyntax.Body, spec *blockSpec, target any, b *hclsyntax.Block, seen map[string]hcl.Range) {
	rule, ok := spec.blocks[b.Type]
	if !ok {
		d.unknownBlock(spec, b)
		return
	}
	if !rule.repeatable {
		if prev, dup := seen[b.Type]; dup {
			how := fmt.Sprintf("it was first defined at line %d", prev.Start.Line)
			if _, isAttr := body.Attributes[b.Type]; isAttr {
				how = fmt.Sprintf("it is also set as an argument at line %d", prev.Start.Line)
			} else if prev == b.TypeRange {
				how = "this dynamic block generates more than one"
			}
			d.errorf(b.TypeRange, "Duplicate "+b.Type+" block", "Only one %q may be given here; %s.", b.Type, how)
			return
		}
		seen[b.Type] = b.TypeRange
	}
	rule.decode(d, target, b)
}

// sortedAttrs returns body's attributes in source order (hcl keeps a map).
func sortedAttrs(body *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

func (d *decoder) unknownAttr(spec *blockSpec, a *hclsyntax.Attribute) {
	hint := ""
	if s := suggest(a.Name, keys(spec.attrs)); s != "" {
		hint = fmt.Sprintf(" Did you mean %q?", s)
	} else if _, ok := spec.blocks[a.Name]; ok {
		hint = fmt.Sprintf(" Did you mean to define a block of type %q?", a.Name)
	}
	d.errorf(a.NameRange, "Unsupported argument", "An argument named %q is not expected here.%s", a.Name, hint)
}

func (d *decoder) unknownBlock(spec *blockSpec, b *hclsyntax.Block) {
	hint := ""
	if s := suggest(b.Type, keys(spec.blocks)); s != "" {
		hint = fmt.Sprintf(" Did you mean %q?", s)
	} else if _, ok := spec.attrs[b.Type]; ok {
		hint = fmt.Sprintf(" Did you mean to define argument %q? If so, use the equals sign to assign it a value.", b.Type)
	}
	d.errorf(b.TypeRange, "Unsupported block type", "Blocks of type %q are not expected here.%s", b.Type, hint)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// nested returns the rule for a block with the given label names whose
// body is decoded by spec into the value open returns. open creates the
// child value and attaches it to the parent; it returns false to skip the
// body (it has reported why). finish, when not nil, runs after the body.
func nested[P, C any](labels []string, spec *blockSpec, open func(d *decoder, parent P, b *hclsyntax.Block) (C, bool), finish func(d *decoder, child C, b *hclsyntax.Block)) func(*decoder, any, *hclsyntax.Block) {
	return func(d *decoder, parent any, b *hclsyntax.Block) {
		if !d.checkLabels(b, labels) {
			return
		}
		child, ok := open(d, parent.(P), b)
		if !ok {
			return
		}
		d.decodeBody(b.Body, spec, child)
		if finish != nil {
			finish(d, child, b)
		}
	}
}

// one is a rule for a block that may appear once.
func one(decode func(*decoder, any, *hclsyntax.Block)) blockRule {
	return blockRule{decode: decode}
}

// many is a rule for a block that may repeat.
func many(decode func(*decoder, any, *hclsyntax.Block)) blockRule {
	return blockRule{decode: decode, repeatable: true}
}

// checkLabels reports a block whose labels do not match the names wanted.
func (d *decoder) checkLabels(b *hclsyntax.Block, want []string) bool {
	switch {
	case len(b.Labels) < len(want):
		d.errorf(b.OpenBraceRange, "Missing "+want[len(b.Labels)],
			"A %s block needs %d label(s): %s.", b.Type, len(want), quoteAll(want))
		return false
	case len(b.Labels) > len(want):
		rng := b.LabelRanges[len(want)]
		if len(want) == 0 {
			d.errorf(rng, "Extraneous label for "+b.Type, "No labels are expected for %s blocks.", b.Type)
		} else {
			d.errorf(rng, "Extraneous label for "+b.Type, "Only %d label(s) expected for %s blocks: %s.", len(want), b.Type, quoteAll(want))
		}
		return false
	}
	for i, l := range b.Labels {
		if strings.TrimSpace(l) == "" {
			d.errorf(b.LabelRanges[i], "Empty "+want[i], "The %s of a %s block must not be empty.", want[i], b.Type)
			return false
		}
	}
	return true
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// notYet is the rule for a block Nomad knows and drover does not implement
// yet: an error, so that a job never runs without something it asked for.
var notYet = blockRule{repeatable: true, decode: func(d *decoder, _ any, b *hclsyntax.Block) {
	d.errorf(b.TypeRange, "Unsupported block", "block %q is not supported yet by drover", b.Type)
}}

// notYetAttr is the attrFunc for an argument Nomad knows and drover does not
// implement yet.
func notYetAttr(d *decoder, _ any, a *hclsyntax.Attribute) {
	d.errorf(a.NameRange, "Unsupported argument", "argument %q is not supported yet by drover", a.Name)
}

// withNotYet adds the not-yet-supported blocks and attributes to spec.
func withNotYet(spec *blockSpec, blocks []string, attrs []string) *blockSpec {
	for _, b := range blocks {
		spec.blocks[b] = notYet
	}
	for _, a := range attrs {
		spec.attrs[a] = notYetAttr
	}
	return spec
}
