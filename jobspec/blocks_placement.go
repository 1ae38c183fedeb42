package jobspec

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drover-sh/drover"
)

// This file holds the placement blocks a job, group or task declares:
// constraint, affinity and spread. Operators are decoded as written; the
// root package validates them.

// Operators Nomad's constraint and affinity shorthand arguments stand for:
// `version = ">= 1.2"` is `operator = "version"` with `value = ">= 1.2"`.
var (
	constraintShorthands = []string{"version", "semver", "regexp", "set_contains", "set_contains_any", "set_contains_all"}
	affinityShorthands   = []string{"version", "semver", "regexp", "set_contains_any", "set_contains_all"}
)

// matchTarget gives a constraint's or an affinity's fields to the
// attribute decoders they share.
type matchTarget interface {
	fields() (lTarget, operand, rTarget *string)
}

type constraintTarget struct{ *drover.Constraint }

func (c constraintTarget) fields() (*string, *string, *string) {
	return &c.LTarget, &c.Operand, &c.RTarget
}

type affinityTarget struct{ *drover.Affinity }

func (a affinityTarget) fields() (*string, *string, *string) {
	return &a.LTarget, &a.Operand, &a.RTarget
}

// matchAttrs returns the attributes of a constraint or affinity block:
// attribute, operator, value and the given shorthands.
func matchAttrs(shorthands []string) map[string]attrFunc {
	attrs := map[string]attrFunc{
		"attribute": text(func(m matchTarget) *string { l, _, _ := m.fields(); return l }),
		"operator":  str(func(m matchTarget) *string { _, op, _ := m.fields(); return op }),
		"value":     text(func(m matchTarget) *string { _, _, r := m.fields(); return r }),
	}
	for _, op := range shorthands {
		attrs[op] = shorthand(op)
	}
	return attrs
}

// shorthand decodes `op = "value"`, Nomad's short form of a constraint
// or affinity with operator op.
func shorthand(op string) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		if v, ok := d.textValue(a); ok {
			_, operand, rTarget := target.(matchTarget).fields()
			*operand, *rTarget = op, v
		}
	}
}

var constraintSpec = func() *blockSpec {
	attrs := matchAttrs(constraintShorthands)
	// distinct_hosts = true: no two allocations of the job (or group) on
	// one node.
	attrs["distinct_hosts"] = func(d *decoder, target any, a *hclsyntax.Attribute) {
		if on, ok := d.boolValue(a); ok && on {
			target.(constraintTarget).Operand = "distinct_hosts"
		}
	}
	// distinct_property = "${meta.rack}": allocations spread over the
	// property's values, at most value (default 1) per value.
	attrs["distinct_property"] = func(d *decoder, target any, a *hclsyntax.Attribute) {
		if v, ok := d.textValue(a); ok {
			c := target.(constraintTarget)
			c.LTarget, c.Operand = v, "distinct_property"
		}
	}
	return &blockSpec{attrs: attrs, blocks: map[string]blockRule{}}
}()

// constraintRule is the rule for constraint blocks filling field.
func constraintRule[P any](field func(P) *[]*drover.Constraint) blockRule {
	return many(nested(nil, constraintSpec, func(_ *decoder, p P, _ *hclsyntax.Block) (constraintTarget, bool) {
		// An omitted operator means equality, as in Nomad.
		c := &drover.Constraint{Operand: "="}
		*field(p) = append(*field(p), c)
		return constraintTarget{c}, true
	}, finishConstraint))
}

// finishConstraint turns a block that says only `distinct_hosts = false`
// into a distinct_hosts constraint that is off, rather than an equality
// with nothing to compare, which validation would refuse.
func finishConstraint(_ *decoder, c constraintTarget, b *hclsyntax.Block) {
	if _, ok := b.Body.Attributes["distinct_hosts"]; !ok {
		return
	}
	if c.Operand == "=" && c.LTarget == "" && c.RTarget == "" {
		c.Operand, c.RTarget = "distinct_hosts", "false"
	}
}

var affinitySpec = func() *blockSpec {
	attrs := matchAttrs(affinityShorthands)
	attrs["weight"] = bounded(func(a affinityTarget) *int8 { return &a.Weight }, -100, 100)
	return &blockSpec{attrs: attrs, blocks: map[string]blockRule{}}
}()

// affinityRule is the rule for affinity blocks filling field.
func affinityRule[P any](field func(P) *[]*drover.Affinity) blockRule {
	return many(nested(nil, affinitySpec, func(_ *decoder, p P, _ *hclsyntax.Block) (affinityTarget, bool) {
		// Nomad's meaning of an omitted operator and weight.
		a := &drover.Affinity{Operand: "=", Weight: 50}
		*field(p) = append(*field(p), a)
		return affinityTarget{a}, true
	}, nil))
}

var spreadSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"attribute": text(func(s *drover.Spread) *string { return &s.Attribute }),
		"weight":    bounded(func(s *drover.Spread) *int8 { return &s.Weight }, 0, 100),
	},
	blocks: map[string]blockRule{
		"target": many(nested([]string{"value"}, spreadTargetSpec, openSpreadTarget, nil)),
	},
}

// spreadRule is the rule for spread blocks filling field.
func spreadRule[P any](field func(P) *[]*drover.Spread) blockRule {
	return many(nested(nil, spreadSpec, appendTo(field, func(s *drover.Spread) {
		s.Weight = 50 // Nomad's meaning of an omitted weight
	}), nil))
}

var spreadTargetSpec = &blockSpec{
	attrs: map[string]attrFunc{
		"percent": bounded(func(t *drover.SpreadTarget) *uint8 { return &t.Percent }, 0, 100),
	},
	blocks: map[string]blockRule{},
}

func openSpreadTarget(d *decoder, s *drover.Spread, b *hclsyntax.Block) (*drover.SpreadTarget, bool) {
	value := b.Labels[0]
	if prev, dup := d.claimName(s, value, b.TypeRange); dup {
		d.errorf(b.LabelRanges[0], "Duplicate spread target", "A target for %q is already defined in this spread at line %d.", value, prev.Start.Line)
		return nil, false
	}
	t := &drover.SpreadTarget{Value: value}
	s.SpreadTarget = append(s.SpreadTarget, t)
	return t, true
}
