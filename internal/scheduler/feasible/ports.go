package feasible

import (
	drover "github.com/drover-sh/drover"
)

// dynamicPortTries is how many random picks are tried before scanning the
// range in order: random picks rarely collide on a lightly used node and keep
// allocations from clustering at the bottom of the range.
const dynamicPortTries = 20

// portPicker chooses ports for one allocation on one node, avoiding ports
// the node has taken and ones already chosen for this allocation.
type portPicker struct {
	ctx    *EvalContext
	u      *NodeUsage
	chosen []int
}

func (pp *portPicker) taken(p int) bool {
	if pp.u.PortUsed(p) {
		return true
	}
	for _, c := range pp.chosen {
		if c == p {
			return true
		}
	}
	return false
}

// static claims port p, or reports a collision.
func (pp *portPicker) static(p int) bool {
	if pp.taken(p) {
		return false
	}
	pp.chosen = append(pp.chosen, p)
	return true
}

// dynamic picks a free port in the node's dynamic range: randomly first,
// then by a linear scan so a nearly full range still yields its last ports.
func (pp *portPicker) dynamic() (int, bool) {
	lo, hi := pp.u.minPort, pp.u.maxPort
	if hi < lo {
		return 0, false
	}
	span := hi - lo + 1
	for range dynamicPortTries {
		p := lo + pp.ctx.rng.IntN(span)
		if !pp.taken(p) {
			pp.chosen = append(pp.chosen, p)
			return p, true
		}
	}
	for p := lo; p <= hi; p++ {
		if !pp.taken(p) {
			pp.chosen = append(pp.chosen, p)
			return p, true
		}
	}
	return 0, false
}

// assignPorts chooses the host ports of the group's and its tasks' networks
// on the node, returning the networks as allocated (the node's IP, every port
// with its Value) or the exhausted dimension.
func assignPorts(ctx *EvalContext, u *NodeUsage, tg *drover.TaskGroup) (group []*drover.NetworkResource, tasks map[string][]*drover.NetworkResource, dim string) {
	pp := &portPicker{ctx: ctx, u: u}
	group, dim = pp.networks(tg.Networks)
	if dim != "" {
		return nil, nil, dim
	}
	for _, t := range tg.Tasks {
		if t.Resources == nil || len(t.Resources.Networks) == 0 {
			continue
		}
		nets, dim := pp.networks(t.Resources.Networks)
		if dim != "" {
			return nil, nil, dim
		}
		if tasks == nil {
			tasks = map[string][]*drover.NetworkResource{}
		}
		tasks[t.Name] = nets
	}
	return group, tasks, ""
}

func (pp *portPicker) networks(asks []*drover.NetworkResource) ([]*drover.NetworkResource, string) {
	if len(asks) == 0 {
		return nil, ""
	}
	out := make([]*drover.NetworkResource, 0, len(asks))
	for _, a := range asks {
		n := &drover.NetworkResource{Mode: a.Mode, Device: a.Device, CIDR: a.CIDR, IP: pp.u.ip, MBits: a.MBits}
		if len(a.ReservedPorts) > 0 {
			n.ReservedPorts = make([]drover.Port, len(a.ReservedPorts))
			for i, p := range a.ReservedPorts {
				if !pp.static(p.Value) {
					return nil, DimPortCollision
				}
				n.ReservedPorts[i] = p
			}
		}
		if len(a.DynamicPorts) > 0 {
			n.DynamicPorts = make([]drover.Port, len(a.DynamicPorts))
			for i, p := range a.DynamicPorts {
				v, ok := pp.dynamic()
				if !ok {
					return nil, DimDynamicPortFail
				}
				p.Value = v
				n.DynamicPorts[i] = p
			}
		}
		out = append(out, n)
	}
	return out, ""
}
