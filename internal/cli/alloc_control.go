package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/drover-sh/drover/api"
)

func allocStopCommand() *command {
	return &command{
		name:     "alloc stop",
		args:     "[options] <alloc>",
		synopsis: "Stop an allocation and have it replaced",
		help: `Stops the allocation (an ID, or a unique prefix of one): the servers stop it and place a replacement at once, on any node that fits, without waiting for the replacement to be healthy. Then monitors the evaluation that does it, as job run does, unless -detach is set.

Exit codes: 0 on success, 1 on errors, 2 on misuse or when the replacement could not be placed.`,
		example: `drover alloc stop cb3116cf
drover alloc stop -detach cb31`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			detach := fs.Bool("detach", false, "Return right after the stop request, printing only the evaluation ID.")
			return func(ctx context.Context, env *Env, args []string) error {
				if len(args) != 1 {
					return usagef("alloc stop takes exactly one argument: the allocation ID")
				}
				c, id, err := resolveAllocArg(ctx, af, args[0])
				if err != nil {
					return err
				}
				resp, _, err := c.Allocations().Stop(id)
				if err != nil {
					return fmt.Errorf("stopping allocation %q: %w", short(id), err)
				}
				if *detach {
					fmt.Fprintf(env.Stdout, "Evaluation ID: %s\n", resp.EvalID)
					return nil
				}
				return monitorEval(ctx, env, c, resp.EvalID,
					fmt.Sprintf("allocation %q is still being replaced; see it with: drover eval status %s", short(id), short(resp.EvalID)))
			}
		},
	}
}

func allocRestartCommand() *command {
	return &command{
		name:     "alloc restart",
		args:     "[options] <alloc> [task]",
		synopsis: "Restart an allocation's tasks in place",
		help: `Restarts tasks of a running allocation (an ID, or a unique prefix of one) in place: each is stopped with its kill_signal and kill_timeout and started again at once in the same allocation, on the same node. The task is named with -task or as the second argument; with none, every running task restarts. -all-tasks restarts the whole allocation: the running tasks are stopped, and they and the tasks that already ran to their end (prestart and poststart tasks that are not sidecars) start again in lifecycle order — prestart tasks first, then the main tasks, then poststart tasks. A restart asked for this way does not count against the task's restart policy. The agent asked passes the request on to the agent of the node that runs the allocation.

Exit codes: 0 on success, 1 on errors (unknown allocation or task, task not running), 2 on misuse.`,
		example: `drover alloc restart cb3116cf
drover alloc restart -task web cb31
drover alloc restart cb31 web
drover alloc restart -all-tasks cb31`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			task := fs.String("task", "", "The `name` of the task to restart.")
			all := fs.Bool("all-tasks", false, "Restart every task of the allocation, including prestart and poststart tasks that already ran, in lifecycle order; not with -task.")
			return func(ctx context.Context, env *Env, args []string) error {
				name, err := controlTask("alloc restart", args, *task)
				if err != nil {
					return err
				}
				if name != "" && *all {
					return usagef("-all-tasks and a task name are mutually exclusive")
				}
				c, id, err := resolveAllocArg(ctx, af, args[0])
				if err != nil {
					return err
				}
				if *all {
					err = c.Allocations().RestartAllTasks(id)
				} else {
					err = c.Allocations().Restart(id, name)
				}
				words := taskWords(name)
				if *all {
					words = "all tasks"
				}
				if err != nil {
					return fmt.Errorf("restarting %s of allocation %q: %w", words, short(id), err)
				}
				fmt.Fprintf(env.Stdout, "Restarted %s of allocation %q\n", words, short(id))
				return nil
			}
		},
	}
}

func allocSignalCommand() *command {
	return &command{
		name:     "alloc signal",
		args:     "[options] <alloc> [task]",
		synopsis: "Send a signal to an allocation's tasks",
		help: `Sends a signal to tasks of a running allocation (an ID, or a unique prefix of one) through their driver. The task is named with -task or as the second argument; with none, every running task gets the signal. The signal defaults to SIGKILL, as Nomad's; names are accepted with or without "SIG", in any case. The agent asked passes the request on to the agent of the node that runs the allocation.

Exit codes: 0 on success, 1 on errors (unknown allocation, task or signal, task not running), 2 on misuse.`,
		example: `drover alloc signal -s SIGHUP cb3116cf
drover alloc signal -s usr1 -task web cb31`,
		setup: func(fs *flag.FlagSet, env *Env) runFunc {
			af := addAPIFlags(fs, env)
			task := fs.String("task", "", "The `name` of the task to signal.")
			signal := fs.String("s", "SIGKILL", "The `signal` to send (SIGHUP, SIGUSR1, ...).")
			return func(ctx context.Context, env *Env, args []string) error {
				name, err := controlTask("alloc signal", args, *task)
				if err != nil {
					return err
				}
				if *signal == "" {
					return usagef("-s must name a signal")
				}
				c, id, err := resolveAllocArg(ctx, af, args[0])
				if err != nil {
					return err
				}
				if err := c.Allocations().Signal(id, name, *signal); err != nil {
					return fmt.Errorf("signalling %s of allocation %q: %w", taskWords(name), short(id), err)
				}
				fmt.Fprintf(env.Stdout, "Sent %s to %s of allocation %q\n", *signal, taskWords(name), short(id))
				return nil
			}
		},
	}
}

// controlTask checks the arguments of alloc restart and alloc signal (the
// allocation and, optionally, the task) and returns the task named by the
// flag or the argument.
func controlTask(cmd string, args []string, flagTask string) (string, error) {
	if len(args) < 1 || len(args) > 2 {
		return "", usagef("%s takes the allocation ID and, optionally, the task name", cmd)
	}
	if len(args) == 2 {
		if flagTask != "" && flagTask != args[1] {
			return "", usagef("the task is named twice, as -task %q and as %q", flagTask, args[1])
		}
		return args[1], nil
	}
	return flagTask, nil
}

// resolveAllocArg connects and resolves an allocation ID or prefix.
func resolveAllocArg(ctx context.Context, af *apiFlags, arg string) (*api.Client, string, error) {
	c, err := af.client()
	if err != nil {
		return nil, "", err
	}
	id, err := resolveAlloc(c, clock(ctx)(), arg)
	if err != nil {
		return nil, "", err
	}
	return c, id, nil
}

// taskWords names the tasks a control acts on.
func taskWords(task string) string {
	if task == "" {
		return "the running tasks"
	}
	return fmt.Sprintf("task %q", task)
}
