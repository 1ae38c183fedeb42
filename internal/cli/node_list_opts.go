package cli

import (
	"fmt"
	"strconv"

	drover "github.com/drover-sh/drover"
	"github.com/drover-sh/drover/api"
)

// nodeListOpts are the options of node status's list: Nomad's -quiet
// (IDs only, for scripts that loop over nodes) and -allocs (a running
// allocations column).
type nodeListOpts struct {
	json, quiet, allocs bool
}

// nodeListWith lists the nodes as the options ask.
func nodeListWith(env *Env, c *api.Client, o nodeListOpts) error {
	if o.json || (!o.quiet && !o.allocs) {
		return nodeList(env, c, o.json)
	}
	if o.quiet && o.allocs {
		return usagef("-quiet and -allocs do not go together: -quiet prints only IDs")
	}
	nodes, _, err := c.Nodes().List(nil)
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	if o.quiet {
		for _, n := range nodes {
			fmt.Fprintln(env.Stdout, n.ID)
		}
		return nil
	}
	if len(nodes) == 0 {
		fmt.Fprintln(env.Stdout, "No nodes registered")
		return nil
	}
	rows := make([][]string, 0, len(nodes))
	for _, n := range nodes {
		allocs, _, err := c.Nodes().Allocations(n.ID, nil)
		if err != nil {
			return fmt.Errorf("reading the allocations of node %q: %w", short(n.ID), err)
		}
		running := 0
		for _, a := range allocs {
			if a.ClientStatus == drover.AllocClientStatusRunning {
				running++
			}
		}
		rows = append(rows, []string{short(n.ID), n.Datacenter, n.Name, orNone(n.NodeClass),
			fmt.Sprint(n.Drain), n.SchedulingEligibility, n.Status, strconv.Itoa(running)})
	}
	writeTable(env.Stdout, []string{"ID", "DC", "Name", "Class", "Drain", "Eligibility", "Status", "Running Allocs"}, rows)
	return nil
}
