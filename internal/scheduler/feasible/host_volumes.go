package feasible

import (
	"sort"
	"strconv"

	drover "github.com/drover-sh/drover"
)

// ReasonHostVolumes is the filter reason of a node that lacks a host volume
// the group asks for, or offers it read-only to a group that writes to it.
const ReasonHostVolumes = "missing compatible host volumes"

// VolumeTypeHost is the type of a group volume served by a client's
// host_volume.
const VolumeTypeHost = "host"

// hostVolumeAsk is one host volume a group needs.
type hostVolumeAsk struct {
	source   string
	readOnly bool
	perAlloc bool // the node's volume is "<source>[<alloc index>]"
}

// hostVolumeAsks returns the group's host volume requests, in volume name
// order so that checks are deterministic; other volume types are not served
// by host volumes and are ignored here.
func hostVolumeAsks(tg *drover.TaskGroup) []hostVolumeAsk {
	names := make([]string, 0, len(tg.Volumes))
	for name, v := range tg.Volumes {
		if v != nil && v.Type == VolumeTypeHost {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	asks := make([]hostVolumeAsk, len(names))
	for i, name := range names {
		v := tg.Volumes[name]
		asks[i] = hostVolumeAsk{source: v.Source, readOnly: v.ReadOnly, perAlloc: v.PerAlloc}
	}
	return asks
}

// HostVolumeSource returns the name of the node's host volume that serves a
// request for source: source itself, or with per_alloc "<source>[<index>]",
// so that each allocation of a group gets its own volume.
func HostVolumeSource(source string, perAlloc bool, index int) string {
	if !perAlloc {
		return source
	}
	return source + "[" + strconv.Itoa(index) + "]"
}

// hostVolumesFit reports whether n offers every volume of asks, writable
// where the request is not read-only. index is the allocation's index, for
// per_alloc requests.
func hostVolumesFit(n *drover.Node, asks []hostVolumeAsk, index int) bool {
	for _, a := range asks {
		hv, ok := n.HostVolumes[HostVolumeSource(a.source, a.perAlloc, index)]
		if !ok || hv == nil {
			return false
		}
		if hv.ReadOnly && !a.readOnly {
			return false
		}
	}
	return true
}

// HostVolumeCheck accepts nodes that offer every host volume the group asks
// for. It is for groups without per_alloc volumes, whose verdict depends on
// the node alone and so can be memoised by FilterIterator.
func HostVolumeCheck(tg *drover.TaskGroup) func(*drover.Node) string {
	asks := hostVolumeAsks(tg)
	return func(n *drover.Node) string {
		if hostVolumesFit(n, asks, 0) {
			return ""
		}
		return ReasonHostVolumes
	}
}

// PerAllocVolumeIterator filters nodes for a group with per_alloc host
// volumes: the volume a node must offer depends on the index of the
// allocation being placed, so the verdict is not memoised. The Stack sets
// the index before each placement (Stack.SetAllocIndex).
type PerAllocVolumeIterator struct {
	ctx   *EvalContext
	src   FeasibleIterator
	asks  []hostVolumeAsk
	index int
}

// Next returns the next candidate of src that offers the volumes of the
// current allocation index.
func (it *PerAllocVolumeIterator) Next() *Candidate {
	for {
		c := it.src.Next()
		if c == nil {
			return nil
		}
		if !hostVolumesFit(c.Node, it.asks, it.index) {
			it.ctx.metrics.FilterNode(c.Node.NodeClass, ReasonHostVolumes)
			continue
		}
		return c
	}
}

// Reset resets src.
func (it *PerAllocVolumeIterator) Reset() { it.src.Reset() }

// newHostVolumeFilter returns the host volume link for tg over src: src
// itself when the group asks for no host volume, a memoised filter when no
// request is per_alloc, else a PerAllocVolumeIterator (also returned, for
// the Stack to set its index).
func newHostVolumeFilter(ctx *EvalContext, src FeasibleIterator, tg *drover.TaskGroup) (FeasibleIterator, *PerAllocVolumeIterator) {
	asks := hostVolumeAsks(tg)
	if len(asks) == 0 {
		return src, nil
	}
	for _, a := range asks {
		if a.perAlloc {
			it := &PerAllocVolumeIterator{ctx: ctx, src: src, asks: asks}
			return it, it
		}
	}
	return NewFilterIterator(ctx, src, HostVolumeCheck(tg)), nil
}

// PerAllocVolumes reports whether the group asks for per_alloc host
// volumes: then each allocation index asks for its own volume, and one
// index not fitting says nothing of another.
func (s *Stack) PerAllocVolumes() bool { return s.perAlloc != nil }

// SetAllocIndex tells the stack the index of the allocation the next Select
// places (the N of "<job>.<group>[N]"). Only per_alloc host volumes depend
// on it; callers set it before every Select so such groups place right.
func (s *Stack) SetAllocIndex(index int) {
	if s.perAlloc != nil {
		s.perAlloc.index = index
	}
}
