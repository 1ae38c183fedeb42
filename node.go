package drover

import "time"

// Node statuses.
const (
	NodeStatusInit  = "initializing"
	NodeStatusReady = "ready"
	NodeStatusDown  = "down"
)

// Scheduling eligibility of a node.
const (
	NodeEligible   = "eligible"
	NodeIneligible = "ineligible"
)

// Node is a client machine that runs allocations. It is registered by the
// client agent, which fingerprints its attributes and resources.
type Node struct {
	ID         string
	SecretID   string `json:"-"`
	Datacenter string
	Name       string
	HTTPAddr   string
	NodeClass  string
	NodePool   string
	// Attributes are the fingerprinted facts: "cpu.numcores",
	// "cpu.frequency", "memory.totalbytes", "kernel.name", "kernel.version",
	// "os.name", "arch", "unique.hostname", "unique.network.ip-address",
	// "driver.<name>" = "1", ...
	Attributes        map[string]string
	Meta              map[string]string
	NodeResources     *NodeResources
	ReservedResources *NodeReservedResources
	Drivers           map[string]*DriverInfo

	Status                string
	StatusDescription     string
	StatusUpdatedAt       int64 // unix seconds
	SchedulingEligibility string
	// Drain is set while DrainStrategy is: the node takes no new work and
	// its allocations are being migrated away.
	Drain         bool
	DrainStrategy *DrainStrategy
	// LastDrain records the most recent drain, once one has started.
	LastDrain *DrainMetadata
	// HostVolumes are the host directories the client offers to groups'
	// volume "x" { type = "host" } requests, by name.
	HostVolumes map[string]*ClientHostVolumeConfig

	CreateIndex uint64
	ModifyIndex uint64
}

// NodeResources are what a node offers to allocations in total.
type NodeResources struct {
	Cpu            NodeCpuResources
	Memory         NodeMemoryResources
	Disk           NodeDiskResources
	Networks       []*NetworkResource
	MinDynamicPort int
	MaxDynamicPort int
}

// NodeCpuResources: CpuShares is the node's total MHz.
type NodeCpuResources struct {
	CpuShares     int64
	TotalCpuCores int
}

// NodeMemoryResources in MB.
type NodeMemoryResources struct{ MemoryMB int64 }

// NodeDiskResources in MB.
type NodeDiskResources struct{ DiskMB int64 }

// NodeReservedResources are held back from allocations for the OS and agent.
type NodeReservedResources struct {
	Cpu      NodeCpuResources
	Memory   NodeMemoryResources
	Disk     NodeDiskResources
	Networks NodeReservedNetworkResources
}

// NodeReservedNetworkResources: ReservedHostPorts is a list like "22,80,8000-8100".
type NodeReservedNetworkResources struct{ ReservedHostPorts string }

// DriverInfo is a driver's fingerprint on a node.
type DriverInfo struct {
	Attributes        map[string]string
	Detected          bool
	Healthy           bool
	HealthDescription string
	// UpdateTime is when the client last fingerprinted the driver (JSON:
	// an RFC 3339 string, as Nomad's).
	UpdateTime time.Time
}

// DrainStrategy is an operator's request to empty a node. Allocations are
// migrated per their groups' migrate blocks; at ForceDeadline whatever is
// left is stopped. A zero ForceDeadline with Deadline < 0 means "force now";
// Deadline 0 means no deadline.
type DrainStrategy struct {
	// Deadline is how long the drain may take (0: no deadline; negative:
	// stop everything now).
	Deadline time.Duration
	// IgnoreSystemJobs leaves system jobs' allocations running.
	IgnoreSystemJobs bool
	// ForceDeadline is StartedAt + Deadline (zero without a deadline).
	ForceDeadline time.Time
	// StartedAt is when the drain began.
	StartedAt time.Time
}

// DeadlineTime returns whether the drain has a deadline, and when. A
// negative Deadline forces the drain at once.
func (d *DrainStrategy) DeadlineTime() (bool, time.Time) {
	if d == nil || d.Deadline == 0 {
		return false, time.Time{}
	}
	if d.Deadline < 0 {
		return true, time.Time{}
	}
	return true, d.ForceDeadline
}

// Drain statuses of DrainMetadata.
const (
	DrainStatusDraining = "draining"
	DrainStatusComplete = "complete"
	DrainStatusCanceled = "canceled"
)

// DrainMetadata describes a node's most recent drain.
type DrainMetadata struct {
	StartedAt time.Time
	UpdatedAt time.Time
	Status    string
	Meta      map[string]string
}

// ClientHostVolumeConfig is a host directory a client offers as a volume.
type ClientHostVolumeConfig struct {
	Name     string
	Path     string
	ReadOnly bool
}

// Default dynamic port range, as Nomad's.
const (
	DefaultMinDynamicPort = 20000
	DefaultMaxDynamicPort = 32000
)

// Ready reports whether the node can take new allocations.
func (n *Node) Ready() bool {
	return n.Status == NodeStatusReady && !n.Drain && n.SchedulingEligibility != NodeIneligible
}

// Copy returns a deep copy of the node.
func (n *Node) Copy() *Node {
	if n == nil {
		return nil
	}
	var c Node
	copyViaMsgpack(n, &c)
	c.SecretID = n.SecretID
	return &c
}

// NodeListStub is the summary of a node in list responses.
type NodeListStub struct {
	ID string
	// Attributes holds "os.name" and "os.version" when NodeStubFields.OS
	// asked for them (left out of the JSON otherwise).
	Attributes            map[string]string `json:",omitempty"`
	Datacenter            string
	Name                  string
	NodeClass             string
	NodePool              string
	Address               string
	Version               string
	Drain                 bool
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	Drivers               map[string]*DriverInfo
	// NodeResources and ReservedResources are the node's when
	// NodeStubFields.Resources asked for them (left out of the JSON
	// otherwise).
	NodeResources     *NodeResources         `json:",omitempty"`
	ReservedResources *NodeReservedResources `json:",omitempty"`
	// LastDrain is the node's most recent drain (nil: never drained).
	LastDrain   *DrainMetadata
	CreateIndex uint64
	ModifyIndex uint64
}

// NodeStubFields chooses what a node stub carries beyond the summary, as
// Nomad's ?resources=true and ?os=true on GET /v1/nodes.
type NodeStubFields struct {
	Resources bool
	OS        bool
}

// StubFields returns the list form of the node with the fields asked for.
// The stub shares the node's resources: callers must not modify them.
func (n *Node) StubFields(f NodeStubFields) *NodeListStub {
	s := n.Stub()
	if f.Resources {
		s.NodeResources, s.ReservedResources = n.NodeResources, n.ReservedResources
	}
	if f.OS {
		s.Attributes = map[string]string{"os.name": n.Attributes["os.name"], "os.version": n.Attributes["os.version"]}
	}
	return s
}

// Stub returns the list form of the node.
func (n *Node) Stub() *NodeListStub {
	return &NodeListStub{
		ID: n.ID, Datacenter: n.Datacenter, Name: n.Name, NodeClass: n.NodeClass,
		NodePool: n.NodePool, Address: n.Attributes["unique.network.ip-address"],
		Version: n.Attributes["drover.version"], Drain: n.Drain,
		SchedulingEligibility: n.SchedulingEligibility, Status: n.Status,
		StatusDescription: n.StatusDescription, Drivers: n.Drivers,
		LastDrain: n.LastDrain, CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex,
	}
}
