package feasible

import (
	"strconv"
	"strings"

	drover "github.com/drover-sh/drover"
)

// NodeUsage is what a node offers and what its allocations (existing and
// planned) take of it. Capacities already exclude the node's reserved
// resources.
type NodeUsage struct {
	CapCPU, CapMemoryMB, CapDiskMB    int64
	UsedCPU, UsedMemoryMB, UsedDiskMB int64

	// ports counts the holders of each host port taken: the node's
	// reservation and allocations. A port is free again only when its last
	// holder lets go: an allocation placed before the operator reserved its
	// port, or two allocations on one port (a state the scheduler never
	// plans but may read), must not free it for everyone. nil until the
	// first port is taken.
	ports            map[int]int
	dynUsed          int // ports taken inside [minPort, maxPort]
	minPort, maxPort int
	ip               string
	// jobGroups counts allocations of the evaluation's job on the node, by
	// group, for anti-affinity.
	jobGroups map[string]int
	broken    bool // its allocations could not be read: never fits
}

func newNodeUsage(n *drover.Node) *NodeUsage {
	u := &NodeUsage{minPort: drover.DefaultMinDynamicPort, maxPort: drover.DefaultMaxDynamicPort}
	if r := n.NodeResources; r != nil {
		u.CapCPU, u.CapMemoryMB, u.CapDiskMB = r.Cpu.CpuShares, r.Memory.MemoryMB, r.Disk.DiskMB
		if r.MinDynamicPort > 0 {
			u.minPort = r.MinDynamicPort
		}
		if r.MaxDynamicPort > 0 {
			u.maxPort = r.MaxDynamicPort
		}
	}
	if r := n.ReservedResources; r != nil {
		u.CapCPU -= r.Cpu.CpuShares
		u.CapMemoryMB -= r.Memory.MemoryMB
		u.CapDiskMB -= r.Disk.DiskMB
		if spec := r.Networks.ReservedHostPorts; spec != "" {
			ports, _ := ParsePortRanges(spec) // a malformed entry reserves what parsed before it
			for _, p := range ports {
				u.takePort(p)
			}
		}
	}
	u.ip = n.Attributes["unique.network.ip-address"]
	return u
}

// PortUsed reports whether host port p is taken on the node.
func (u *NodeUsage) PortUsed(p int) bool { return u.ports[p] > 0 }

// takePort adds a holder of port p.
func (u *NodeUsage) takePort(p int) {
	if u.ports == nil {
		u.ports = map[int]int{}
	}
	u.ports[p]++
	if u.ports[p] == 1 && p >= u.minPort && p <= u.maxPort {
		u.dynUsed++
	}
}

// releasePort removes a holder of port p; the port is free once it has none.
func (u *NodeUsage) releasePort(p int) {
	n, ok := u.ports[p]
	if !ok {
		return
	}
	if n > 1 {
		u.ports[p] = n - 1
		return
	}
	delete(u.ports, p)
	if p >= u.minPort && p <= u.maxPort {
		u.dynUsed--
	}
}

// freeDynamicPorts returns how many ports of the dynamic range are free.
func (u *NodeUsage) freeDynamicPorts() int {
	return max(u.maxPort-u.minPort+1, 0) - u.dynUsed
}

// JobGroupCount returns how many allocations of the evaluation's job and
// group the node holds (existing and planned).
func (u *NodeUsage) JobGroupCount(group string) int { return u.jobGroups[group] }

// add adds (sign 1) or removes (sign -1) alloc's resources.
func (u *NodeUsage) add(a *drover.Allocation, job *drover.Job, sign int64) {
	cpu, mem, disk := allocResources(a)
	u.UsedCPU += sign * cpu
	u.UsedMemoryMB += sign * mem
	u.UsedDiskMB += sign * disk
	forEachAllocPort(a, func(p int) {
		if sign > 0 {
			u.takePort(p)
		} else {
			u.releasePort(p)
		}
	})
	if job != nil && a.JobID == job.ID && a.Namespace == job.Namespace {
		if u.jobGroups == nil {
			u.jobGroups = map[string]int{}
		}
		u.jobGroups[a.TaskGroup] += int(sign)
	}
}

// allocResources returns what an allocation takes: from its
// AllocatedResources, or, for one without them, from its job's asks.
func allocResources(a *drover.Allocation) (cpu, mem, disk int64) {
	if ar := a.AllocatedResources; ar != nil {
		for _, t := range ar.Tasks {
			cpu += t.Cpu.CpuShares
			mem += t.Memory.MemoryMB
		}
		return cpu, mem, ar.Shared.DiskMB
	}
	if a.Job == nil {
		return 0, 0, 0
	}
	if tg := a.Job.LookupTaskGroup(a.TaskGroup); tg != nil {
		ask := groupAsk(tg)
		return ask.cpu, ask.mem, ask.disk
	}
	return 0, 0, 0
}

// forEachAllocPort calls fn for every host port the allocation holds; a port
// may be reported more than once (group networks and port mappings repeat).
func forEachAllocPort(a *drover.Allocation, fn func(int)) {
	ar := a.AllocatedResources
	if ar == nil {
		return
	}
	nets := func(ns []*drover.NetworkResource) {
		for _, n := range ns {
			for _, p := range n.ReservedPorts {
				fn(p.Value)
			}
			for _, p := range n.DynamicPorts {
				fn(p.Value)
			}
		}
	}
	for _, t := range ar.Tasks {
		nets(t.Networks)
	}
	nets(ar.Shared.Networks)
	for _, p := range ar.Shared.Ports {
		fn(p.Value)
	}
}

// ask is what one allocation of a group needs.
type ask struct {
	cpu, mem, disk int64
	ports          bool  // the group or a task asks for a network (and so an IP or ports)
	static         []int // static host ports asked for
	dynamic        int   // how many dynamic ports are asked for
}

func groupAsk(tg *drover.TaskGroup) ask {
	var a ask
	for _, t := range tg.Tasks {
		if r := t.Resources; r != nil {
			a.cpu += int64(r.CPU)
			a.mem += int64(r.MemoryMB)
			a.addPorts(r.Networks)
		}
	}
	if tg.EphemeralDisk != nil {
		a.disk = int64(tg.EphemeralDisk.SizeMB)
	}
	a.addPorts(tg.Networks)
	return a
}

func (a *ask) addPorts(ns []*drover.NetworkResource) {
	for _, n := range ns {
		for _, p := range n.ReservedPorts {
			a.static = append(a.static, p.Value)
		}
		a.dynamic += len(n.DynamicPorts)
		a.ports = true
	}
}

// ParsePortRanges parses a port list like "22,80,8000-8100" into its ports.
func ParsePortRanges(spec string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		start, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return out, &portSpecError{spec: spec, part: part}
		}
		end := start
		if isRange {
			if end, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || end < start {
				return out, &portSpecError{spec: spec, part: part}
			}
		}
		if start < 1 || end > 65535 {
			return out, &portSpecError{spec: spec, part: part}
		}
		for p := start; p <= end; p++ {
			out = append(out, p)
		}
	}
	return out, nil
}

type portSpecError struct{ spec, part string }

func (e *portSpecError) Error() string {
	return "invalid port range " + strconv.Quote(e.part) + " in " + strconv.Quote(e.spec)
}
