package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/drover-sh/drover/api"
)

// defaultDrainDeadline is how long a drain may take unless told otherwise,
// as Nomad's.
const defaultDrainDeadline = time.Hour

func nodeDrainCommand() *command {
	return &command{
		name:     "node drain",
		args:     "[options] -enable|-disable|-monitor <node>",
		synopsis: "Move a node's allocations elsewhere, or stop doing so",
		help: `Drains a node (an ID, a unique prefix of one, or -self for the node of the agent at -address): the node takes no new allocations, and its allocations are migrated to other nodes as their groups' migrate blocks allow, each replacement placed before the allocation it replaces stops. At the deadline whatever is left on the node is stopped. Once the node is empty the drain is complete and the node stays ineligible until made eligible again (node eligibility -enable).

With -enable, starts the drain (or changes the deadline of the running one) and then monitors it until it is complete, printing each allocation's migration; Ctrl-C stops monitoring without cancelling the drain. With -disable, ends the drain: allocations not migrated yet stay, and the node becomes eligible again unless -keep-ineligible is given. With -monitor alone, attaches to a running drain. When the node was named by a prefix, asks for confirmation first unless -yes is set.

Exit codes: 0 on success (and when a drain monitored to its end completed), 1 on errors (and when the drain monitored was canceled), 2 on misuse.`,
		example: `drover node drain -enable -deadline 30m 3e5f
drover node drain -enable -self -detach -yes
drover node drain -monitor 3e5f
drover node drain -disable -keep-ineligible 3e5f`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			o := &drainOptions{meta: map[string]string{}}
			fs.BoolVar(&o.enable, "enable", false, "Start draining the node (or update its running drain).")
			fs.BoolVar(&o.disable, "disable", false, "End the node's drain; the node becomes eligible again unless -keep-ineligible is given.")
			fs.BoolVar(&o.monitor, "monitor", false, "Only monitor the node's running drain, changing nothing.")
			fs.DurationVar(&o.deadline, "deadline", defaultDrainDeadline,
				"How long the drain may take, as a `duration` like \"30m\" or \"2h\"; at the deadline the allocations left on the node are stopped.")
			fs.BoolVar(&o.noDeadline, "no-deadline", false, "Let the drain take as long as migrating the allocations takes.")
			fs.BoolVar(&o.force, "force", false, "Stop every allocation on the node now, without waiting for replacements (a deadline of -1).")
			fs.BoolVar(&o.ignoreSystem, "ignore-system", false, "Leave system jobs' allocations running on the node.")
			fs.BoolVar(&o.keepIneligible, "keep-ineligible", false, "With -disable, leave the node ineligible for new allocations.")
			fs.Var(metaFlag(o.meta), "meta", "A `key=value` recorded with the drain in the node's last drain; repeat for several.")
			fs.BoolVar(&o.detach, "detach", false, "Return right after starting the drain, without monitoring it.")
			fs.BoolVar(&o.self, "self", false, "Drain the node of the agent at -address.")
			fs.BoolVar(&o.yes, "yes", false, "Do not ask for confirmation when the node was named by a prefix.")
			return func(ctx context.Context, env *Env, args []string) error {
				fs.Visit(func(f *flag.Flag) { o.set = append(o.set, f.Name) })
				if err := o.check(); err != nil {
					return err
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				return runNodeDrain(ctx, env, c, o, args)
			}
		},
	}
}

// drainOptions are node drain's flags.
type drainOptions struct {
	enable, disable, monitor        bool
	deadline                        time.Duration
	noDeadline, force, ignoreSystem bool
	keepIneligible, detach          bool
	self, yes                       bool
	meta                            map[string]string
	set                             []string // the flags given, by name
}

// given reports whether the flag name was on the command line.
func (o *drainOptions) given(name string) bool {
	for _, s := range o.set {
		if s == name {
			return true
		}
	}
	return false
}

// check refuses contradictory flags, and flags that do nothing with the
// chosen mode, rather than ignore them.
func (o *drainOptions) check() error {
	modes := 0
	for _, on := range []bool{o.enable, o.disable, o.monitor} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return usagef("node drain needs exactly one of -enable, -disable or -monitor")
	}
	deadlines := 0
	for _, name := range []string{"deadline", "no-deadline", "force"} {
		if o.given(name) {
			deadlines++
		}
	}
	if deadlines > 1 {
		return usagef("-deadline, -no-deadline and -force exclude each other")
	}
	if o.given("deadline") && o.deadline <= 0 {
		return usagef("-deadline must be positive, not %s: use -no-deadline for none, or -force to stop everything now", o.deadline)
	}
	var wrong []string
	for _, name := range o.set {
		if !drainFlagAllowed(name, o) {
			wrong = append(wrong, "-"+name)
		}
	}
	if len(wrong) > 0 {
		return usagef("%s cannot be used with -%s", strings.Join(wrong, ", "), o.mode())
	}
	return nil
}

// mode names the chosen mode's flag.
func (o *drainOptions) mode() string {
	switch {
	case o.enable:
		return "enable"
	case o.disable:
		return "disable"
	}
	return "monitor"
}

// drainFlagAllowed reports whether flag name means something in o's mode.
func drainFlagAllowed(name string, o *drainOptions) bool {
	switch name {
	case "deadline", "no-deadline", "force", "ignore-system", "detach":
		return o.enable
	case "keep-ineligible":
		return o.disable
	case "meta", "yes":
		return !o.monitor
	}
	return true
}

// spec returns the drain the -enable flags ask for.
func (o *drainOptions) spec() *api.DrainSpec {
	s := &api.DrainSpec{Deadline: o.deadline, IgnoreSystemJobs: o.ignoreSystem}
	switch {
	case o.force:
		s.Deadline = -1
	case o.noDeadline:
		s.Deadline = 0
	}
	return s
}

// metaFlag collects -meta key=value flags into a map.
type metaFlag map[string]string

func (m metaFlag) String() string { return "" }

func (m metaFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	m[k] = v
	return nil
}

// nodeArg returns the full ID of the node a node command names: the agent's
// own with -self, else the one positional argument, resolved as a prefix.
func nodeArg(c *api.Client, cmd string, args []string, self bool) (string, error) {
	switch {
	case self && len(args) > 0:
		return "", usagef("%s takes no node argument with -self", cmd)
	case self:
		return selfNodeID(c)
	case len(args) != 1:
		return "", usagef("%s takes exactly one argument: the node ID (or -self)", cmd)
	}
	return resolveNode(c, args[0])
}

func runNodeDrain(ctx context.Context, env *Env, c *api.Client, o *drainOptions, args []string) error {
	id, err := nodeArg(c, "node drain", args, o.self)
	if err != nil {
		return err
	}
	if o.monitor {
		return monitorDrain(ctx, env, c, id, true)
	}
	if !o.self && id != args[0] && !o.yes {
		verb := "enable"
		if o.disable {
			verb = "disable"
		}
		if !confirm(env, fmt.Sprintf("Are you sure you want to %s drain mode for node %q? [y/N] ", verb, id)) {
			fmt.Fprintln(env.Stderr, "Cancelling node drain")
			return nil
		}
	}
	opts := &api.DrainOptions{Meta: o.meta}
	if len(opts.Meta) == 0 {
		opts.Meta = nil
	}
	if o.disable {
		opts.MarkEligible = !o.keepIneligible
		if _, _, err := c.Nodes().UpdateDrainOpts(id, opts); err != nil {
			return fmt.Errorf("ending the drain of node %q: %w", id, err)
		}
		fmt.Fprintf(env.Stdout, "Node %q drain strategy unset\n", id)
		return nil
	}
	opts.DrainSpec = o.spec()
	if _, _, err := c.Nodes().UpdateDrainOpts(id, opts); err != nil {
		return fmt.Errorf("draining node %q: %w", id, err)
	}
	if o.detach {
		fmt.Fprintf(env.Stdout, "Node %q drain strategy set\n", id)
		return nil
	}
	now := clock(ctx)
	fmt.Fprintf(env.Stdout, "%s: Ctrl-C to stop monitoring: will not cancel the node drain\n", formatTime(now()))
	fmt.Fprintf(env.Stdout, "%s: Node %q drain strategy set\n", formatTime(now()), id)
	return monitorDrain(ctx, env, c, id, false)
}
