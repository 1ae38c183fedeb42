package feasible

import (
	"strconv"
	"strings"

	drover "github.com/drover-sh/drover"
)

// Constraint operators understood by ConstraintCheck.
const (
	OpEqual            = "="
	OpEqualEqual       = "=="
	OpIs               = "is"
	OpNotEqual         = "!="
	OpNot              = "not"
	OpLess             = "<"
	OpLessEq           = "<="
	OpGreater          = ">"
	OpGreaterEq        = ">="
	OpRegexp           = "regexp"
	OpVersion          = "version"
	OpIsSet            = "is_set"
	OpIsNotSet         = "is_not_set"
	OpSetContains      = "set_contains"
	OpSetContainsAll   = "set_contains_all"
	OpSetContainsAny   = "set_contains_any"
	OpSemver           = "semver"
	OpDistinctHosts    = "distinct_hosts"
	OpDistinctProperty = "distinct_property"
)

// ConstraintCheck accepts nodes that satisfy every constraint; a rejected
// node's reason is the text "<LTarget> <Operand> <RTarget>" of the first
// constraint it fails, as Nomad reports it. distinct_hosts and
// distinct_property are left out (see nodeConstraints).
func ConstraintCheck(ctx *EvalContext, cs []*drover.Constraint) func(*drover.Node) string {
	cs = nodeConstraints(cs)
	reasons := make([]string, len(cs))
	for i, c := range cs {
		reasons[i] = c.String()
	}
	return func(n *drover.Node) string {
		for i, c := range cs {
			if !ctx.meets(n, c) {
				return reasons[i]
			}
		}
		return ""
	}
}

// GroupConstraints returns the job's, the group's and its tasks' constraints.
func GroupConstraints(job *drover.Job, tg *drover.TaskGroup) []*drover.Constraint {
	var cs []*drover.Constraint
	cs = append(cs, job.Constraints...)
	cs = append(cs, tg.Constraints...)
	for _, t := range tg.Tasks {
		cs = append(cs, t.Constraints...)
	}
	return cs
}

// ResolveTarget returns the value a constraint target names for node n: an
// interpolation like ${attr.kernel.name}, ${meta.rack}, ${node.unique.id},
// ${node.datacenter}, ${node.unique.name}, ${node.class} or ${node.pool}, or
// the target itself when it is a literal. ok is false when the node lacks it.
func ResolveTarget(target string, n *drover.Node) (val string, ok bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	name := target[2 : len(target)-1]
	switch name {
	case "node.unique.id":
		return n.ID, true
	case "node.datacenter":
		return n.Datacenter, true
	case "node.unique.name":
		return n.Name, true
	case "node.class":
		return n.NodeClass, true
	case "node.pool":
		if n.NodePool == "" {
			return drover.DefaultNodePool, true
		}
		return n.NodePool, true
	}
	if k, found := strings.CutPrefix(name, "attr."); found {
		val, ok = n.Attributes[k]
		return val, ok
	}
	if k, found := strings.CutPrefix(name, "meta."); found {
		val, ok = n.Meta[k]
		return val, ok
	}
	return "", false
}

// meets reports whether node n satisfies constraint c.
func (ctx *EvalContext) meets(n *drover.Node, c *drover.Constraint) bool {
	l, lok := ResolveTarget(c.LTarget, n)
	r, rok := ResolveTarget(c.RTarget, n)
	switch c.Operand {
	case OpIsSet:
		return lok
	case OpIsNotSet:
		return !lok
	}
	if !lok || !rok {
		return false
	}
	switch c.Operand {
	case OpEqual, OpEqualEqual, OpIs, "":
		return l == r
	case OpNotEqual, OpNot:
		return l != r
	case OpLess, OpLessEq, OpGreater, OpGreaterEq:
		return compareOrdered(c.Operand, l, r)
	case OpRegexp:
		re, err := ctx.regexp(r)
		return err == nil && re.MatchString(l)
	case OpVersion, OpSemver:
		return versionMatches(l, r)
	case OpSetContains, OpSetContainsAll:
		return setContains(l, r)
	case OpSetContainsAny:
		return setContainsAny(l, r)
	}
	return false // unknown operators never match: placing on a guess is worse
}

// compareOrdered compares numerically when both sides are numbers, else
// lexically.
func compareOrdered(op, l, r string) bool {
	var cmp int
	lf, lerr := strconv.ParseFloat(l, 64)
	rf, rerr := strconv.ParseFloat(r, 64)
	if lerr == nil && rerr == nil {
		switch {
		case lf < rf:
			cmp = -1
		case lf > rf:
			cmp = 1
		}
	} else {
		cmp = strings.Compare(l, r)
	}
	return cmpHolds(op, cmp)
}

func cmpHolds(op string, cmp int) bool {
	switch op {
	case OpLess:
		return cmp < 0
	case OpLessEq:
		return cmp <= 0
	case OpGreater:
		return cmp > 0
	case OpGreaterEq:
		return cmp >= 0
	case OpEqual, OpEqualEqual:
		return cmp == 0
	case OpNotEqual:
		return cmp != 0
	}
	return false
}

// setContains reports whether the comma-separated list l holds every item
// of the comma-separated list r.
func setContains(l, r string) bool {
	have := map[string]bool{}
	for _, s := range strings.Split(l, ",") {
		have[strings.TrimSpace(s)] = true
	}
	for _, s := range strings.Split(r, ",") {
		if !have[strings.TrimSpace(s)] {
			return false
		}
	}
	return true
}

// setContainsAny reports whether the comma-separated list l holds at least
// one item of the comma-separated list r.
func setContainsAny(l, r string) bool {
	have := map[string]bool{}
	for _, s := range strings.Split(l, ",") {
		have[strings.TrimSpace(s)] = true
	}
	for _, s := range strings.Split(r, ",") {
		if have[strings.TrimSpace(s)] {
			return true
		}
	}
	return false
}

// versionMatches reports whether version v satisfies every comma-separated
// requirement in spec, each "<op> <version>" with op one of =, !=, <, <=, >,
// >= or ~> (at least the version, below the next release of its
// second-to-last component: "~> 1.2" is >= 1.2, < 2; "~> 1.2.3" is >= 1.2.3,
// < 1.3).
func versionMatches(v, spec string) bool {
	have, ok := parseVersion(v)
	if !ok {
		return false
	}
	for _, req := range strings.Split(spec, ",") {
		req = strings.TrimSpace(req)
		op := "="
		for _, cand := range []string{"~>", ">=", "<=", "!=", ">", "<", "="} {
			if rest, found := strings.CutPrefix(req, cand); found {
				op, req = cand, strings.TrimSpace(rest)
				break
			}
		}
		want, ok := parseVersion(req)
		if !ok {
			return false
		}
		if op == "~>" {
			if compareVersions(have, want) < 0 {
				return false
			}
			upper := pessimisticUpper(want)
			if compareVersions(have, upper) >= 0 {
				return false
			}
			continue
		}
		if !cmpHolds(op, compareVersions(have, want)) {
			return false
		}
	}
	return true
}

func pessimisticUpper(want []int) []int {
	if len(want) == 1 {
		return []int{want[0] + 1}
	}
	up := append([]int(nil), want[:len(want)-1]...)
	up[len(up)-1]++
	return up
}

// parseVersion parses "v1.2.3-beta+meta" into [1 2 3]; pre-release and build
// suffixes are ignored.
func parseVersion(s string) ([]int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return nil, false
	}
	parts := strings.Split(s, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func compareVersions(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}
