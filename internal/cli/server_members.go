package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/api"
)

func serverMembersCommand() *command {
	return &command{
		name:     "server members",
		args:     "[options]",
		synopsis: "List the cluster's servers",
		help:     `Lists the servers the agent at -address knows of: each one's name, address, gossip port, gossip status, whether it leads the cluster, its Raft protocol version, its build, datacenter and region. -detailed shows each server's tags instead.`,
		example: `drover server members
drover server members -detailed`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			detailed := fs.Bool("detailed", false, "Show each server's tags instead of the summary columns.")
			verbose := fs.Bool("verbose", false, "The same as -detailed (Nomad's older name).")
			asJSON := fs.Bool("json", false, "Print the members as JSON.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 0 {
					return usagef("server members takes no arguments")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				return serverMembers(env, c, *detailed || *verbose, *asJSON)
			}
		},
	}
}

func serverMembers(env *Env, c *api.Client, detailed, asJSON bool) error {
	resp, err := c.Agent().Members()
	if err != nil {
		return fmt.Errorf("reading the server members: %w", err)
	}
	members := resp.Members
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	if asJSON {
		if members == nil {
			members = []*api.ServerMember{}
		}
		return writeJSON(env.Stdout, members)
	}
	if len(members) == 0 {
		fmt.Fprintln(env.Stdout, "No servers")
		return nil
	}
	var rows [][]string
	if detailed {
		for _, m := range members {
			keys := make([]string, 0, len(m.Tags))
			for k := range m.Tags {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			tags := make([]string, len(keys))
			for i, k := range keys {
				tags[i] = k + "=" + m.Tags[k]
			}
			rows = append(rows, []string{m.Name, m.Addr, strconv.Itoa(m.Port), m.Status, strings.Join(tags, ",")})
		}
		writeTable(env.Stdout, []string{"Name", "Address", "Port", "Status", "Tags"}, rows)
		return nil
	}
	leader, err := c.Status().Leader()
	if err != nil {
		return fmt.Errorf("reading the cluster's leader: %w", err)
	}
	for _, m := range members {
		isLeader := leader != "" && m.Tags["port"] != "" && leader == net.JoinHostPort(m.Addr, m.Tags["port"])
		rows = append(rows, []string{m.Name, m.Addr, strconv.Itoa(m.Port), m.Status, strconv.FormatBool(isLeader),
			orDash(m.Tags["raft_vsn"]), orDash(m.Tags["build"]), orDash(m.Tags["dc"]), orDash(m.Tags["region"])})
	}
	writeTable(env.Stdout, []string{"Name", "Address", "Port", "Status", "Leader", "Raft Version", "Build", "Datacenter", "Region"}, rows)
	return nil
}

// orDash prints an unknown value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
