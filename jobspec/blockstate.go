package jobspec

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/drover-sh/drover"
)

// blockState is what block decoders track across blocks of one file (it is
// embedded in decoder). Its zero value is ready to use.
type blockState struct {
	// set records, per value being decoded (a policy block), which
	// attributes the file set, so that a partial block can be completed
	// from its enclosing level (see tracked and fillUnset).
	set map[any]map[string]bool
	// job is the job being decoded: its type steers defaults and warnings
	// of the blocks inside it.
	job *drover.Job
	// generated counts the blocks dynamic blocks generated (see
	// MaxGeneratedBlocks).
	generated int
}

// markSet records that the attribute name of target was set.
func (s *blockState) markSet(target any, name string) {
	if s.set == nil {
		s.set = map[any]map[string]bool{}
	}
	m := s.set[target]
	if m == nil {
		m = map[string]bool{}
		s.set[target] = m
	}
	m[name] = true
}

// isSet reports whether the attribute name of target was set.
func (s *blockState) isSet(target any, name string) bool {
	return s.set[target][name]
}

// jobType is the type of the job being decoded ("" when unset, which
// means service).
func (s *blockState) jobType() string {
	if s.job == nil {
		return ""
	}
	return s.job.Type
}

// tracked wraps an attribute decoder to record that the attribute was set.
func tracked(f attrFunc) attrFunc {
	return func(d *decoder, target any, a *hclsyntax.Attribute) {
		d.markSet(target, a.Name)
		f(d, target, a)
	}
}

// fieldCopy maps an attribute name to the copy of its field from one value
// to another.
type fieldCopy[T any] map[string]func(dst, src *T)

// fillUnset copies from src every field of dst whose attribute the file
// did not set: a partial block takes the rest from its enclosing level.
func fillUnset[T any](d *decoder, dst, src *T, fields fieldCopy[T]) {
	for name, cp := range fields {
		if !d.isSet(dst, name) {
			cp(dst, src)
		}
	}
}
