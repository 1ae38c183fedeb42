package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// runFunc runs a command once its flags are parsed. args are the positional
// arguments. It returns a *usageError for misuse, an *exitError to end with
// a code after printing its own output, or any other error to report and
// exit 1.
type runFunc func(ctx context.Context, env *Env, args []string) error

// command is one entry of the command table.
type command struct {
	name     string // the words after "drover", e.g. "job run"
	args     string // what follows the name in the usage line, e.g. "[options] <file>"
	synopsis string // one line, for the lists in `drover -help` and `drover <noun> -help`
	help     string // one paragraph (or a few), wrapped when printed
	example  string // one or more command lines, printed indented
	// setup declares the command's flags on fs and returns the function that
	// runs the command after fs is parsed.
	setup func(fs *flag.FlagSet, env *Env) runFunc
	// raw, when set, runs the command with its unparsed arguments instead
	// (commands owned elsewhere that parse their own flags, like agent).
	raw commandFunc
	// failCode, when not 0, is the exit code of errors and misuse instead
	// of 1 and 2 (job plan exits 255, as Nomad's does, because 1 means
	// "changes").
	failCode int
	// flagsFirst takes flags only before the first argument: what follows
	// is passed on untouched (alloc exec's command line has flags of its
	// own).
	flagsFirst bool
}

// noun groups the verbs of one noun for `drover <noun> -help`.
type noun struct {
	name     string
	synopsis string
}

// nouns lists the nouns, in the order `drover -help` shows them.
func nouns() []noun {
	return []noun{
		{"job", "Plan, submit, inspect, revert, stop, dispatch and launch jobs"},
		{"alloc", "Inspect, control and read the files of allocations"},
		{"node", "Inspect, drain and set the eligibility of client nodes"},
		{"eval", "Inspect evaluations"},
		{"job periodic", "Launch a periodic job's child now"},
		{"operator", "Cluster-wide settings for operators"},
		{"operator scheduler", "Read and set the scheduler configuration"},
		{"server", "List the cluster's servers"},
	}
}

// commands is the command table: every command drover knows.
func commands() []*command {
	return []*command{
		{name: "agent", args: "[options]", synopsis: "Run a drover agent (server, client, or both)", raw: agentCommand},
		jobRunCommand(),
		jobPlanCommand(),
		jobValidateCommand(),
		jobStatusCommand(),
		jobInspectCommand(),
		jobHistoryCommand(),
		jobRevertCommand(),
		jobStopCommand(),
		jobDispatchCommand(),
		jobPeriodicForceCommand(),
		jobInitCommand(),
		fmtCommand(),
		allocStatusCommand(),
		allocLogsCommand(),
		allocStopCommand(),
		allocRestartCommand(),
		allocSignalCommand(),
		allocFSCommand(),
		allocExecCommand(),
		nodeStatusCommand(),
		nodeDrainCommand(),
		nodeEligibilityCommand(),
		evalStatusCommand(),
		operatorSchedulerGetConfigCommand(),
		operatorSchedulerSetConfigCommand(),
		versionCommand(),
		statusCommand(),
		serverMembersCommand(),
	}
}

func isHelpArg(s string) bool {
	switch s {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

// dispatch finds the command named by the leading words of args and runs it.
func dispatch(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		printMainHelp(env.Stderr, env.prog())
		return 2
	}
	if isHelpArg(args[0]) {
		printMainHelp(env.Stdout, env.prog())
		return 0
	}
	if args[0] == "-version" || args[0] == "--version" || args[0] == "-v" {
		args = []string{"version"}
	}
	cmds := commands()
	for _, c := range cmds {
		if c.name == args[0] {
			return runCommand(ctx, env, c, args[1:])
		}
	}
	if c, ok := resolveAlias(env, cmds, args[0]); ok {
		return runCommand(ctx, env, c, args[1:])
	}
	if n, ok := matchNoun(args); ok {
		words := len(strings.Fields(n.name))
		rest := args[words:]
		if len(rest) == 0 {
			fmt.Fprintf(env.Stderr, "Error: %q needs a subcommand\n\n", n.name)
			printNounHelp(env.Stderr, env.prog(), n)
			return 2
		}
		if isHelpArg(rest[0]) {
			printNounHelp(env.Stdout, env.prog(), n)
			return 0
		}
		name := n.name + " " + rest[0]
		for _, c := range cmds {
			if c.name == name {
				return runCommand(ctx, env, c, rest[1:])
			}
		}
		unknownCommand(env, name)
		fmt.Fprintln(env.Stderr)
		printNounHelp(env.Stderr, env.prog(), n)
		return 2
	}
	unknownCommand(env, args[0])
	fmt.Fprintf(env.Stderr, "Run '%s -help' for the list of commands.\n", env.prog())
	return 2
}

// matchNoun returns the noun that args start with, the one of most words
// when several match ("job periodic" before "job").
func matchNoun(args []string) (noun, bool) {
	var best noun
	bestWords := 0
	for _, n := range nouns() {
		words := strings.Fields(n.name)
		if len(words) <= bestWords || len(words) > len(args) {
			continue
		}
		match := true
		for i, w := range words {
			if args[i] != w {
				match = false
				break
			}
		}
		if match {
			best, bestWords = n, len(words)
		}
	}
	return best, bestWords > 0
}

// unknownCommand says name is not a command and suggests the closest one.
func unknownCommand(env *Env, name string) {
	fmt.Fprintf(env.Stderr, "Error: unknown command %q\n", env.prog()+" "+name)
	if s := suggest(name); s != "" {
		fmt.Fprintf(env.Stderr, "Did you mean %q?\n", env.prog()+" "+s)
	}
}

// suggest returns the command or noun name closest to name, or "" when none
// is close enough to be a likely typo.
func suggest(name string) string {
	var candidates []string
	for _, c := range commands() {
		candidates = append(candidates, c.name)
	}
	for _, n := range nouns() {
		candidates = append(candidates, n.name)
	}
	for _, a := range aliases() {
		candidates = append(candidates, a.name)
	}
	best, bestDist := "", 0
	for _, c := range candidates {
		d := editDistance(name, c)
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist > 2 && bestDist > len(name)/3 {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// runCommand parses the command's flags and runs it.
func runCommand(ctx context.Context, env *Env, c *command, args []string) int {
	if c.raw != nil {
		return c.raw(ctx, env, args)
	}
	fs := flag.NewFlagSet("drover "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	run := c.setup(fs, env)
	flagHelp := func(w io.Writer) { printFlags(w, fs) }
	parse := parseInterspersed
	if c.flagsFirst {
		parse = func(fs *flag.FlagSet, args []string) ([]string, error) { return args, fs.Parse(args) }
	}
	pos, err := parse(fs, args)
	if c.flagsFirst && err == nil {
		pos = fs.Args()
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(env.Stdout, env.prog(), c, flagHelp)
			return 0
		}
		return exitCode(env, c, flagHelp, usagef("%s", err))
	}
	return exitCode(env, c, flagHelp, run(ctx, env, pos))
}

// parseInterspersed parses args with fs, allowing flags after positional
// arguments ("drover job status hello -json"); everything after "--" is
// positional. It returns the positional arguments in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printMainHelp prints `drover -help` (or `nomad -help`: prog is the name
// the binary was called by).
func printMainHelp(w io.Writer, prog string) {
	fmt.Fprintf(w, "Usage: %s <command> [<subcommand>] [options] [args]\n\n", prog)
	fmt.Fprint(w, wrap("drover runs services and batch jobs on a pool of machines. Job files use Nomad's HCL job specification, and the HTTP API is Nomad-shaped, so Nomad's tools work against it. Every command except agent talks to an agent's HTTP API, at -address or $DROVER_ADDR (default http://127.0.0.1:4646).", "  "))
	if prog == nomadName {
		fmt.Fprintln(w)
		fmt.Fprint(w, wrap(nomadNote, "  "))
	}
	fmt.Fprint(w, "\nCommands:\n")
	var rows [][]string
	for _, c := range commands() {
		if !strings.Contains(c.name, " ") {
			rows = append(rows, []string{"    " + c.name, c.synopsis})
		}
	}
	for _, n := range nouns() {
		if !strings.Contains(n.name, " ") { // a noun of nouns is listed under its first word
			rows = append(rows, []string{"    " + n.name, n.synopsis})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
	writeTable(w, nil, rows)
	printAliases(w, prog)
	fmt.Fprintf(w, "\nRun '%s <command> -help' for a command's options.\n\nExample:\n\n", prog)
	fmt.Fprintf(w, "    $ %[1]s agent -dev &\n    $ %[1]s job run hello.nomad.hcl\n    $ %[1]s job status hello\n", prog)
}

// printNounHelp prints `drover <noun> -help`: the noun's verbs.
func printNounHelp(w io.Writer, prog string, n noun) {
	fmt.Fprintf(w, "Usage: %s %s <subcommand> [options] [args]\n\n", prog, n.name)
	fmt.Fprint(w, wrap(n.synopsis+". Run '"+prog+" "+n.name+" <subcommand> -help' for a subcommand's options.", "  "))
	fmt.Fprint(w, "\nSubcommands:\n")
	var rows [][]string
	var example string
	for _, c := range commands() {
		if verb, ok := strings.CutPrefix(c.name, n.name+" "); ok {
			rows = append(rows, []string{"    " + verb, c.synopsis})
			if example == "" {
				example = c.example
			}
		}
	}
	writeTable(w, nil, rows)
	if example != "" {
		fmt.Fprint(w, "\nExample:\n\n")
		printExample(w, namedExample(prog, example))
	}
}

// printCommandHelp prints a command's usage: the usage line, its
// description, its flags and an example, naming the program prog.
func printCommandHelp(w io.Writer, prog string, c *command, flagHelp func(io.Writer)) {
	fmt.Fprintf(w, "Usage: %s %s %s\n\n", prog, c.name, c.args)
	fmt.Fprint(w, wrap(named(prog, c.help), "  "))
	var buf strings.Builder
	if flagHelp != nil {
		flagHelp(&buf)
	}
	if buf.Len() > 0 {
		fmt.Fprint(w, "\nOptions:\n\n")
		fmt.Fprint(w, buf.String())
	}
	if c.example != "" {
		fmt.Fprint(w, "\nExample:\n\n")
		printExample(w, namedExample(prog, c.example))
	}
}

func printExample(w io.Writer, example string) {
	for _, line := range strings.Split(strings.TrimSpace(example), "\n") {
		fmt.Fprintf(w, "    $ %s\n", line)
	}
}

// printFlags lists fs's flags, sorted, each with its wrapped description.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		name, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if name != "" {
			line += "=<" + name + ">"
		}
		fmt.Fprintln(w, line)
		switch f.DefValue {
		case "", "false", "0":
		default:
			if name == "string" || strings.Contains(usage, "`") || !isNumber(f.DefValue) {
				usage += fmt.Sprintf(" (default %q)", f.DefValue)
			} else {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
		}
		fmt.Fprint(w, wrap(usage, "    "))
	})
}

// wrap fills text to 78 columns, each line prefixed with indent. Blank
// lines in text separate paragraphs.
func wrap(text, indent string) string {
	var b strings.Builder
	for i, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		line := indent
		for _, word := range strings.Fields(para) {
			if len(line) > len(indent) && len(line)+1+len(word) > 78 {
				b.WriteString(line + "\n")
				line = indent
			}
			if len(line) > len(indent) {
				line += " "
			}
			line += word
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
