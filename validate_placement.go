package drover

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Constraint and affinity operators, Nomad's set.
const (
	ConstraintEqual            = "="
	ConstraintEqualAlt         = "=="
	ConstraintIs               = "is"
	ConstraintNotEqual         = "!="
	ConstraintNot              = "not"
	ConstraintGreater          = ">"
	ConstraintGreaterEqual     = ">="
	ConstraintLess             = "<"
	ConstraintLessEqual        = "<="
	ConstraintRegex            = "regexp"
	ConstraintVersion          = "version"
	ConstraintSemver           = "semver"
	ConstraintSetContains      = "set_contains"
	ConstraintSetContainsAll   = "set_contains_all"
	ConstraintSetContainsAny   = "set_contains_any"
	ConstraintAttributeIsSet   = "is_set"
	ConstraintAttributeIsUnset = "is_not_set"
	ConstraintDistinctHosts    = "distinct_hosts"
	ConstraintDistinctProperty = "distinct_property"
)

// validatePlacement checks the constraint, affinity and spread blocks at one
// level ("job", "group" or "task") of a job of jobType.
func validatePlacement(p problems, jobType, level string, cons []*Constraint, affs []*Affinity, spreads []*Spread) {
	for i, c := range cons {
		cp := p.in("constraint %d", i+1)
		c.validate(cp)
		if level == "task" && (c.Operand == ConstraintDistinctHosts || c.Operand == ConstraintDistinctProperty) {
			cp.addf("operator %q applies to allocations, so it belongs in a job or group, not a task", c.Operand)
		}
	}
	system := jobType == JobTypeSystem || jobType == JobTypeSysBatch
	for i, a := range affs {
		ap := p.in("affinity %d", i+1)
		if system {
			ap.addf("a %s job runs on every eligible node: it cannot have an affinity", jobType)
			continue
		}
		a.validate(ap)
	}
	for i, s := range spreads {
		sp := p.in("spread %d", i+1)
		if system {
			sp.addf("a %s job runs on every eligible node: it cannot have a spread", jobType)
			continue
		}
		s.validate(sp)
	}
}

func (c *Constraint) validate(p problems) {
	switch c.Operand {
	case ConstraintDistinctHosts:
		if c.LTarget != "" {
			p.addf("distinct_hosts takes no attribute (it compares the nodes of allocations, not a node property): remove attribute %q", c.LTarget)
		}
		if c.RTarget != "" {
			if _, err := strconv.ParseBool(c.RTarget); err != nil {
				p.addf("distinct_hosts value %q is not a boolean", c.RTarget)
			}
		}
		return
	case ConstraintDistinctProperty:
		if c.LTarget == "" {
			p.addf("distinct_property needs an attribute")
		}
		if c.RTarget != "" {
			if n, err := strconv.ParseUint(c.RTarget, 10, 64); err != nil || n == 0 {
				p.addf("distinct_property value %q must be a positive count", c.RTarget)
			}
		}
		return
	}
	if c.LTarget == "" {
		p.addf("attribute is required for operator %q", c.Operand)
	}
	checkOperand(p, c.Operand, c.RTarget, true)
}

// checkOperand checks an operator and its value; constraint is false for an
// affinity, which has no is_set/is_not_set form.
func checkOperand(p problems, op, value string, constraint bool) {
	switch op {
	case ConstraintEqual, ConstraintEqualAlt, ConstraintIs, ConstraintNotEqual, ConstraintNot,
		ConstraintGreater, ConstraintGreaterEqual, ConstraintLess, ConstraintLessEqual,
		ConstraintSetContains, ConstraintSetContainsAll, ConstraintSetContainsAny:
		if value == "" {
			p.addf("value is required for operator %q", op)
		}
	case ConstraintRegex:
		if _, err := regexp.Compile(value); err != nil {
			p.addf("regexp %q does not compile: %v", value, err)
		}
	case ConstraintVersion:
		if err := checkVersionConstraint(value, false); err != nil {
			p.addf("version constraint %q is invalid: %v", value, err)
		}
	case ConstraintSemver:
		if err := checkVersionConstraint(value, true); err != nil {
			p.addf("semver constraint %q is invalid: %v", value, err)
		}
	case ConstraintAttributeIsSet, ConstraintAttributeIsUnset:
		if !constraint {
			p.addf("operator %q is not allowed in an affinity", op)
		}
	default:
		p.addf("operator %q is unknown: expected one of =, !=, >, >=, <, <=, regexp, version, semver, "+
			"set_contains, set_contains_all, set_contains_any, is_set, is_not_set, distinct_hosts, distinct_property", op)
	}
}

func (a *Affinity) validate(p problems) {
	if a.LTarget == "" {
		p.addf("attribute is required")
	}
	if a.Operand == ConstraintDistinctHosts || a.Operand == ConstraintDistinctProperty {
		p.addf("operator %q is not allowed in an affinity", a.Operand)
	} else {
		checkOperand(p, a.Operand, a.RTarget, false)
	}
	if a.Weight == 0 {
		p.addf("weight must not be 0")
	} else if a.Weight < -100 || a.Weight > 100 {
		p.addf("weight %d is out of range: expected -100 to 100", a.Weight)
	}
}

func (s *Spread) validate(p problems) {
	if s.Attribute == "" {
		p.addf("attribute is required")
	}
	if s.Weight <= 0 || s.Weight > 100 {
		p.addf("weight %d is out of range: expected 1 to 100", s.Weight)
	}
	seen := map[string]bool{}
	sum := 0
	for _, t := range s.SpreadTarget {
		if seen[t.Value] {
			p.addf("target %q is defined twice", t.Value)
		}
		seen[t.Value] = true
		sum += int(t.Percent)
	}
	if sum > 100 {
		p.addf("target percentages add up to %d: they must not exceed 100", sum)
	}
}

var (
	versionOp  = regexp.MustCompile(`^(>=|<=|!=|~>|=|>|<)?\s*(.+)$`)
	versionNum = regexp.MustCompile(`^v?\d+(\.\d+)*(-[0-9A-Za-z.\-]+)?(\+[0-9A-Za-z.\-]+)?$`)
	semverNum  = regexp.MustCompile(`^v?\d+\.\d+\.\d+(-[0-9A-Za-z.\-]+)?(\+[0-9A-Za-z.\-]+)?$`)
)

// checkVersionConstraint checks a comma-separated list of version
// comparisons (">= 1.2, < 2"). strict asks for full semantic versions
// (major.minor.patch) and refuses the pessimistic operator, as semver does.
func checkVersionConstraint(s string, strict bool) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty")
	}
	for _, term := range strings.Split(s, ",") {
		m := versionOp.FindStringSubmatch(strings.TrimSpace(term))
		if m == nil {
			return fmt.Errorf("term %q is not an operator and a version", term)
		}
		if strict && m[1] == "~>" {
			return fmt.Errorf("operator ~> is not allowed in a semver constraint")
		}
		ok := versionNum.MatchString(m[2])
		if strict {
			ok = semverNum.MatchString(m[2])
		}
		if !ok {
			return fmt.Errorf("%q is not a version", m[2])
		}
	}
	return nil
}
