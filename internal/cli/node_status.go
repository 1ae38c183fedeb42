package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

func nodeStatusCommand() *command {
	return &command{
		name:     "node status",
		args:     "[options] [node]",
		synopsis: "List client nodes, or show one node",
		help:     `Without a node, lists every client node. With a node ID (or a unique prefix of one), or -self for the node of the agent at -address, shows the node: its status, a summary of its attributes, the resources allocated out of what it offers, and its allocations.`,
		example: `drover node status
drover node status 3e5f
drover node status -self -verbose`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			asJSON := fs.Bool("json", false, "Print the node (or the node list) as JSON.")
			self := fs.Bool("self", false, "Show the node of the agent at -address.")
			verbose := fs.Bool("verbose", false, "Show every attribute and the node's meta, not a summary.")
			var lo nodeListOpts
			fs.BoolVar(&lo.quiet, "quiet", false, "In the list, print only the nodes' full IDs, one per line.")
			fs.BoolVar(&lo.allocs, "allocs", false, "In the list, add the number of running allocations of each node.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) > 1 || (*self && len(args) > 0) {
					return usagef("node status takes at most one argument: the node ID (or -self)")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				var id string
				switch {
				case *self:
					if id, err = selfNodeID(c); err != nil {
						return err
					}
				case len(args) == 1:
					if id, err = resolveNode(c, args[0]); err != nil {
						return err
					}
				default:
					lo.json = *asJSON
					return nodeListWith(env, c, lo)
				}
				return nodeStatus(ctx, env, c, id, *asJSON, *verbose)
			}
		},
	}
}

// selfNodeID asks the agent for the ID of its client node.
func selfNodeID(c *api.Client) (string, error) {
	self, err := c.Agent().Self()
	if err != nil {
		return "", fmt.Errorf("asking the agent for its node: %w", err)
	}
	id := self.Stats["client"]["node_id"]
	if id == "" {
		return "", fmt.Errorf("the agent is not a client: it runs no node")
	}
	return id, nil
}

func nodeList(env *Env, c *api.Client, asJSON bool) error {
	nodes, _, err := c.Nodes().List(nil)
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	if asJSON {
		if nodes == nil {
			nodes = []*drover.NodeListStub{}
		}
		return writeJSON(env.Stdout, nodes)
	}
	if len(nodes) == 0 {
		fmt.Fprintln(env.Stdout, "No nodes registered")
		return nil
	}
	writeNodeList(env.Stdout, nodes)
	return nil
}

// writeNodeList prints the nodes table.
func writeNodeList(w io.Writer, nodes []*drover.NodeListStub) {
	rows := make([][]string, 0, len(nodes))
	for _, n := range nodes {
		rows = append(rows, []string{short(n.ID), n.Datacenter, n.Name, orNone(n.NodeClass),
			fmt.Sprint(n.Drain), n.SchedulingEligibility, n.Status})
	}
	writeTable(w, []string{"ID", "DC", "Name", "Class", "Drain", "Eligibility", "Status"}, rows)
}

// summaryAttributes are the attributes node status shows without -verbose.
var summaryAttributes = []string{
	"os.name", "os.version", "kernel.name", "kernel.version", "arch",
	"cpu.modelname", "cpu.numcores", "cpu.frequency", "memory.totalbytes",
	"unique.hostname", "unique.network.ip-address",
}

func nodeStatus(ctx context.Context, env *Env, c *api.Client, id string, asJSON, verbose bool) error {
	node, _, err := c.Nodes().Info(id, nil)
	if err != nil {
		return fmt.Errorf("reading node %q: %w", id, err)
	}
	if asJSON {
		return writeJSON(env.Stdout, node)
	}
	allocs, _, err := c.Nodes().Allocations(id, nil)
	if err != nil {
		return fmt.Errorf("reading allocations of node %q: %w", id, err)
	}
	w := env.Stdout
	writeKV(w, append([]kv{
		{"ID", node.ID},
		{"Name", node.Name},
		{"Class", node.NodeClass},
		{"DC", node.Datacenter},
		{"Node Pool", node.NodePool},
		{"Drain", formatDrain(node)},
		{"Eligibility", node.SchedulingEligibility},
		{"Status", node.Status},
		{"Status Description", node.StatusDescription},
		{"HTTP Address", node.HTTPAddr},
		{"Drivers", strings.Join(healthyDrivers(node), ",")},
	}, lastDrainKV(node)...))
	writeNodeAttributes(w, node, verbose)
	writeNodeResources(w, node, allocs)
	fmt.Fprint(w, "\nAllocations\n")
	if len(allocs) == 0 {
		fmt.Fprintln(w, "No allocations placed")
		return nil
	}
	writeNodeAllocs(w, clock(ctx)(), allocs)
	return nil
}

// healthyDrivers lists the node's detected, healthy drivers.
func healthyDrivers(n *drover.Node) []string {
	var out []string
	for _, name := range sortedKeys(n.Drivers) {
		if d := n.Drivers[name]; d != nil && d.Detected && d.Healthy {
			out = append(out, name)
		}
	}
	return out
}

func writeNodeAttributes(w io.Writer, n *drover.Node, verbose bool) {
	var pairs []kv
	if verbose {
		for _, k := range sortedKeys(n.Attributes) {
			pairs = append(pairs, kv{k, n.Attributes[k]})
		}
	} else {
		for _, k := range summaryAttributes {
			if v, ok := n.Attributes[k]; ok {
				pairs = append(pairs, kv{k, v})
			}
		}
	}
	if len(pairs) > 0 {
		fmt.Fprint(w, "\nAttributes\n")
		writeKV(w, pairs)
	}
	if verbose && len(n.Meta) > 0 {
		fmt.Fprint(w, "\nMeta\n")
		var meta []kv
		for _, k := range sortedKeys(n.Meta) {
			meta = append(meta, kv{k, n.Meta[k]})
		}
		writeKV(w, meta)
	}
}

// writeNodeResources prints what the node's live allocations hold out of
// what it offers (its resources less the reserved ones).
func writeNodeResources(w io.Writer, n *drover.Node, allocs []*drover.Allocation) {
	var totalCPU, totalMem, totalDisk int64
	if r := n.NodeResources; r != nil {
		totalCPU, totalMem, totalDisk = r.Cpu.CpuShares, r.Memory.MemoryMB, r.Disk.DiskMB
	}
	if r := n.ReservedResources; r != nil {
		totalCPU -= r.Cpu.CpuShares
		totalMem -= r.Memory.MemoryMB
		totalDisk -= r.Disk.DiskMB
	}
	var cpu, mem, disk int64
	for _, a := range allocs {
		if a.Terminal() || a.AllocatedResources == nil {
			continue
		}
		for _, t := range a.AllocatedResources.Tasks {
			cpu += t.Cpu.CpuShares
			mem += t.Memory.MemoryMB
		}
		disk += a.AllocatedResources.Shared.DiskMB
	}
	fmt.Fprint(w, "\nAllocated Resources\n")
	writeTable(w, []string{"CPU", "Memory", "Disk"}, [][]string{{
		fmt.Sprintf("%d/%d MHz", cpu, totalCPU),
		formatMB(mem) + "/" + formatMB(totalMem),
		formatMB(disk) + "/" + formatMB(totalDisk),
	}})
}

// writeNodeAllocs prints a node's allocations, newest first.
func writeNodeAllocs(w io.Writer, now time.Time, allocs []*drover.Allocation) {
	sortAllocsNewestFirst(allocs)
	rows := make([][]string, 0, len(allocs))
	for _, a := range allocs {
		var version string
		if a.Job != nil {
			version = fmt.Sprint(a.Job.Version)
		}
		rows = append(rows, []string{short(a.ID), a.JobID, a.TaskGroup, version,
			a.DesiredStatus, a.ClientStatus, ago(now, a.CreateTime), ago(now, a.ModifyTime)})
	}
	writeTable(w, []string{"ID", "Job ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"}, rows)
}
