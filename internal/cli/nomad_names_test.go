package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runAs runs the CLI as the program arg0 with the environment vars (nil:
// DROVER_ADDR pointing at f), so tests can call it "nomad".
func runAs(t *testing.T, f *fakeAgent, arg0 string, vars map[string]string, args ...string) result {
	t.Helper()
	if vars == nil {
		vars = map[string]string{"DROVER_ADDR": "http://127.0.0.1:1"}
		if f != nil {
			vars["DROVER_ADDR"] = f.srv.URL
		}
	}
	var out, errb bytes.Buffer
	env := &Env{Getenv: func(k string) string { return vars[k] }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	ctx := withClock(context.Background(), func() time.Time { return testNow })
	code := RunEnv(ctx, append([]string{arg0}, args...), env)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestProgName(t *testing.T) {
	tests := map[string]string{
		"drover": "drover", "/usr/local/bin/drover": "drover", "/tmp/go-build123/exe/drover": "drover",
		"nomad": "nomad", "/usr/local/bin/nomad": "nomad", `nomad.exe`: "nomad", "./nomad": "nomad",
		"nomad-1.7": "drover", "nomadic": "drover", "": "drover",
	}
	for arg0, want := range tests {
		if got := progName(arg0); got != want {
			t.Errorf("progName(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// TestAliasesRunTheirTarget: every short form names a command of the table
// and runs it: its help is the target's help, word for word.
func TestAliasesRunTheirTarget(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range aliases() {
		if seen[a.name] {
			t.Errorf("short form %q listed twice", a.name)
		}
		seen[a.name] = true
		for _, c := range commands() {
			if c.name == a.name {
				t.Errorf("short form %q shadows a command of the same name", a.name)
			}
		}
		t.Run(a.name, func(t *testing.T) {
			short := runAs(t, nil, "nomad", nil, a.name, "-help")
			long := runAs(t, nil, "nomad", nil, append(strings.Fields(a.target), "-help")...)
			if short.code != 0 || long.code != 0 {
				t.Fatalf("%s -help exit %d, %s -help exit %d\n%s%s", a.name, short.code, a.target, long.code, short.stderr, long.stderr)
			}
			if !strings.HasPrefix(long.stdout, "Usage: nomad "+a.target+" ") {
				t.Errorf("%s -help does not start with its usage line:\n%s", a.target, long.stdout)
			}
			if short.stdout != long.stdout {
				t.Errorf("%s -help differs from %s -help:\n--- %s\n%s--- %s\n%s", a.name, a.target, a.name, short.stdout, a.target, long.stdout)
			}
			if a.deprecated != strings.Contains(short.stderr, "old name") {
				t.Errorf("%s: deprecated %v, but stderr %q", a.name, a.deprecated, short.stderr)
			}
		})
	}
}

// TestShortFormsAgainstCluster runs the short forms of tutorials against
// the fixture cluster: each asks the agent what its long form asks, and
// prints the same.
func TestShortFormsAgainstCluster(t *testing.T) {
	tests := []struct{ short, long []string }{
		{[]string{"alloc-status", "cb31"}, []string{"alloc", "status", "cb31"}},
		{[]string{"node-status"}, []string{"node", "status"}},
		{[]string{"node-status", "3e5f"}, []string{"node", "status", "3e5f"}},
		{[]string{"eval-status", "d3a1"}, []string{"eval", "status", "d3a1"}},
		{[]string{"inspect", "hello"}, []string{"job", "inspect", "hello"}},
		{[]string{"status", "-json"}, []string{"job", "status", "-json"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.short, "_"), func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			short := runAs(t, f, "nomad", nil, tt.short...)
			g := newFakeAgent(t)
			cluster(g)
			long := runAs(t, g, "drover", nil, tt.long...)
			if short.code != 0 || long.code != 0 {
				t.Fatalf("exit %d and %d\n%s\n%s", short.code, long.code, short.stderr, long.stderr)
			}
			if short.stdout != long.stdout {
				t.Errorf("nomad %s printed\n%s\nbut drover %s printed\n%s", strings.Join(tt.short, " "), short.stdout, strings.Join(tt.long, " "), long.stdout)
			}
			if got, want := strings.Join(f.requested(), "\n"), strings.Join(g.requested(), "\n"); got != want {
				t.Errorf("requests differ:\n--- short form\n%s\n--- long form\n%s", got, want)
			}
		})
	}
}

// TestStatusFindsWhatAnIDNames: `status` without an ID lists jobs; with
// one it shows the job, allocation, node or evaluation the ID (or prefix)
// names; a prefix of several kinds or of nothing is an error.
func TestStatusFindsWhatAnIDNames(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // a request the routed command must make ("" none)
	}{
		{"status_list", []string{"status"}, 0, "GET /v1/jobs"},
		{"status_job", []string{"status", "hello"}, 0, "GET /v1/job/hello/summary"},
		{"status_job_short", []string{"status", "-short", "hello"}, 0, "GET /v1/job/hello"},
		{"status_job_prefix", []string{"status", "hel"}, 1, ""}, // hello and hello-big: job status lists them
		{"status_alloc", []string{"status", "cb31"}, 0, "GET /v1/allocation/" + allocID},
		{"status_node", []string{"status", "3e5f"}, 0, "GET /v1/node/" + nodeID},
		{"status_node_verbose", []string{"status", "3e5f", "-verbose"}, 0, "GET /v1/node/" + nodeID},
		{"status_eval", []string{"status", "d3a1"}, 0, "GET /v1/evaluation/" + evalID},
		{"status_nodes_ambiguous", []string{"status", "3e"}, 1, ""},
		{"status_kinds_ambiguous", []string{"status", "c"}, 1, ""},
		{"status_not_found", []string{"status", "zzz"}, 1, ""},
		{"status_two_args", []string{"status", "hello", "cb31"}, 2, ""},
		{"status_flag_of_other_kind", []string{"status", "-stats", "hello"}, 2, ""},
		{"status_help", []string{"status", "-help"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			// A job whose name starts like the allocations' IDs, so that
			// "c" names objects of two kinds.
			cafe := helloJob()
			cafe.ID, cafe.Name = "cafe", "cafe"
			f.handle("GET /v1/jobs", append(jobStubs(), cafe.Stub(nil)))
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.want != "" && len(f.find(tt.want)) == 0 {
				t.Errorf("no request %q; requests: %v", tt.want, f.requested())
			}
			checkGolden(t, tt.name, f, tt.args, r)
		})
	}
}

// TestStatusSameAsTarget: status <id> prints exactly what the command it
// picked prints.
func TestStatusSameAsTarget(t *testing.T) {
	tests := []struct{ status, target []string }{
		{[]string{"status", "hello"}, []string{"job", "status", "hello"}},
		{[]string{"status", "-json", "cb31"}, []string{"alloc", "status", "-json", "cb31"}},
		{[]string{"status", "3e5f"}, []string{"node", "status", "3e5f"}},
		{[]string{"status", evalID}, []string{"eval", "status", evalID}},
	}
	for _, tt := range tests {
		f := newFakeAgent(t)
		cluster(f)
		a := runCLI(context.Background(), t, f, "", tt.status...)
		b := runCLI(context.Background(), t, f, "", tt.target...)
		if a.code != 0 || a.stdout != b.stdout || a.stderr != b.stderr {
			t.Errorf("%v: exit %d\n%s%s\nwant what %v prints:\n%s%s", tt.status, a.code, a.stdout, a.stderr, tt.target, b.stdout, b.stderr)
		}
	}
}

// membersFixture answers /v1/agent/members with three servers, the second
// of them the leader, and /v1/status/leader with its RPC address.
func membersFixture(f *fakeAgent) {
	member := func(name, addr, status string) map[string]any {
		return map[string]any{"Name": name, "Addr": addr, "Port": 4648, "Status": status,
			"Tags": map[string]string{"region": "global", "dc": "dc1", "build": "v0.1.0", "port": "4647", "raft_vsn": "3", "role": "nomad"}}
	}
	f.handle("GET /v1/agent/members", map[string]any{
		"ServerName": "b.global", "ServerRegion": "global", "ServerDC": "dc1",
		"Members": []any{member("c.global", "10.0.0.3", "failed"), member("b.global", "10.0.0.2", "alive"), member("a.global", "10.0.0.1", "alive")},
	})
	f.handle("GET /v1/status/leader", "10.0.0.2:4647")
}

func TestServerMembers(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"server_members", []string{"server", "members"}, 0},
		{"server_members_detailed", []string{"server", "members", "-detailed"}, 0},
		{"server_members_json", []string{"server", "members", "-json"}, 0},
		{"server_members_old_name", []string{"server-members"}, 0},
		{"server_members_arg", []string{"server", "members", "x"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			membersFixture(f)
			r := runCLI(context.Background(), t, f, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d\n%s", r.code, tt.code, r.stderr)
			}
			checkGolden(t, tt.name, f, tt.args, r)
		})
	}
}

// TestServerMembersLeaderUnknown: without a leader no member is marked as
// one; an agent that cannot say is an error, not a silent "false".
func TestServerMembersLeaderUnknown(t *testing.T) {
	f := newFakeAgent(t)
	membersFixture(f)
	f.handle("GET /v1/status/leader", "")
	r := runCLI(context.Background(), t, f, "", "server", "members")
	if r.code != 0 || strings.Contains(r.stdout, "true") {
		t.Errorf("no leader: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	f.handle("GET /v1/status/leader", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]string{"Error": "rpc error"})
	}))
	r = runCLI(context.Background(), t, f, "", "server", "members")
	if r.code != 1 || !strings.Contains(r.stderr, "leader") {
		t.Errorf("leader lookup failing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestCalledAsNomad: under the name nomad, help, errors and the hints
// that print a command line say nomad, and version says it is drover.
func TestCalledAsNomad(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"nomad_help_main", []string{"-help"}, 0},
		{"nomad_help_job_run", []string{"job", "run", "-help"}, 0},
		{"nomad_help_noun", []string{"job", "-help"}, 0},
		{"nomad_unknown", []string{"staus"}, 2},
		{"nomad_version", []string{"version"}, 0},
		{"nomad_unreachable", []string{"status"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAs(t, nil, "/usr/local/bin/nomad", nil, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d\n%s", r.code, tt.code, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "drover job") || strings.Contains(r.stdout+r.stderr, "'drover ") {
				t.Errorf("called as nomad, the output suggests a drover command line:\n%s%s", r.stdout, r.stderr)
			}
			text := "$ nomad " + strings.Join(tt.args, " ") + "\n--- exit " + strconv.Itoa(r.code) + "\n--- stdout\n" + r.stdout + "--- stderr\n" + r.stderr
			checkGoldenText(t, tt.name, strings.ReplaceAll(text, "http://127.0.0.1:1", "http://agent"))
		})
	}
}

// TestPlanHintNamesProgram: job plan's check-index hint is a command line
// to type, so it carries the name the user called.
func TestPlanHintNamesProgram(t *testing.T) {
	for _, prog := range []string{"drover", "nomad"} {
		f := newFakeAgent(t)
		handleWrite(f, "/v1/job/hello/plan", editPlan())
		path, _ := writeJobFile(t, "hello.nomad.hcl", helloHCL)
		r := runAs(t, f, prog, nil, "plan", path)
		if r.code != 1 {
			t.Fatalf("%s plan: exit %d, want 1 (changes)\n%s", prog, r.code, r.stderr)
		}
		if want := prog + " job run -check-index 42 " + path; !strings.Contains(r.stdout, want) {
			t.Errorf("%s plan output lacks %q:\n%s", prog, want, r.stdout)
		}
	}
}

// TestNomadEnvFallback: NOMAD_ADDR and NOMAD_TOKEN reach the agent when
// DROVER_ADDR and DROVER_TOKEN are unset; the DROVER_ ones win when both
// are set; -address and -token win over both.
func TestNomadEnvFallback(t *testing.T) {
	nomad, drover := newFakeAgent(t), newFakeAgent(t)
	cluster(nomad)
	cluster(drover)
	check := func(name string, f *fakeAgent, wantToken string, vars map[string]string, args ...string) {
		t.Helper()
		before := len(f.find("GET /v1/jobs"))
		r := runAs(t, nil, "nomad", vars, append([]string{"status"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, r.code, r.stderr)
		}
		reqs := f.find("GET /v1/jobs")
		if len(reqs) != before+1 {
			t.Fatalf("%s: the expected agent got %d job list requests, want 1", name, len(reqs)-before)
		}
		if got := reqs[len(reqs)-1].Token; got != wantToken {
			t.Errorf("%s: X-Nomad-Token %q, want %q", name, got, wantToken)
		}
	}
	check("NOMAD_ only", nomad, "nomad-secret", map[string]string{"NOMAD_ADDR": nomad.srv.URL, "NOMAD_TOKEN": "nomad-secret"})
	check("both", drover, "drover-secret", map[string]string{
		"NOMAD_ADDR": nomad.srv.URL, "NOMAD_TOKEN": "nomad-secret", "DROVER_ADDR": drover.srv.URL, "DROVER_TOKEN": "drover-secret"})
	check("flags", nomad, "flag-secret", map[string]string{"NOMAD_ADDR": "http://127.0.0.1:1", "NOMAD_TOKEN": "nomad-secret"},
		"-address", nomad.srv.URL, "-token", "flag-secret")
}

// checkGoldenText compares text with testdata/<name>.golden, or rewrites
// the file with -update.
func checkGoldenText(t *testing.T, name, text string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if string(want) != text {
		t.Errorf("%s: output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, path, text, want)
	}
}

// TestNomadGeneralOptions: Nomad's general options that scripts pass
// (-region, -namespace, -no-color) are taken by every command that talks
// to an agent; region and namespace reach the agent, from the flags or
// from NOMAD_REGION and NOMAD_NAMESPACE.
func TestNomadGeneralOptions(t *testing.T) {
	f := newFakeAgent(t)
	cluster(f)
	r := runAs(t, f, "nomad", nil, "job", "status", "-region=global", "-namespace", "default", "-no-color", "hello")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, req := range f.find("GET /v1/job/hello") {
		if req.Query["region"][0] != "global" || req.Query["namespace"][0] != "default" {
			t.Errorf("GET /v1/job/hello query %v, want region and namespace", req.Query)
		}
	}
	if len(f.find("GET /v1/job/hello")) == 0 {
		t.Fatalf("no job read; requests %v", f.requested())
	}

	g := newFakeAgent(t)
	cluster(g)
	vars := map[string]string{"NOMAD_ADDR": g.srv.URL, "NOMAD_REGION": "global", "NOMAD_NAMESPACE": "default"}
	if r := runAs(t, nil, "nomad", vars, "status", "-force-color"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	reqs := g.find("GET /v1/jobs")
	if len(reqs) != 1 || reqs[0].Query["region"] == nil || reqs[0].Query["region"][0] != "global" || reqs[0].Query["namespace"][0] != "default" {
		t.Errorf("job list requests %+v, want one with NOMAD_REGION and NOMAD_NAMESPACE", reqs)
	}
}

func TestNamed(t *testing.T) {
	help := `drover runs jobs. Run "drover job status" or 'drover node status'; drover does not federate.`
	if got, want := named("nomad", help), `drover runs jobs. Run "nomad job status" or 'nomad node status'; drover does not federate.`; got != want {
		t.Errorf("named:\n%s\nwant\n%s", got, want)
	}
	if got := named("drover", help); got != help {
		t.Errorf("named as drover changed the text: %s", got)
	}
	ex := "drover job run a.hcl\ndrover job status a"
	if got, want := namedExample("nomad", ex), "nomad job run a.hcl\nnomad job status a"; got != want {
		t.Errorf("namedExample: %q, want %q", got, want)
	}
}

// TestAllocLogsJobAndTaskFlags: Nomad's `alloc logs -job <job>` reads a
// running allocation of the job, and -task names the task as the task
// argument does.
func TestAllocLogsJobAndTaskFlags(t *testing.T) {
	logs := map[string]string{"hello.stdout": "from hello\n", "sidecar.stdout": "side\n"}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
	}{
		{"job", []string{"logs", "-job", "hello"}, 0, "from hello\n"},
		{"job_prefix", []string{"alloc", "logs", "-job", "hello", "-task", "hello"}, 0, "from hello\n"},
		{"task_flag", []string{"logs", "-task", "sidecar", alloc2ID}, 0, "side\n"},
		{"task_flag_and_arg", []string{"logs", "-task", "sidecar", alloc2ID, "sidecar"}, 0, "side\n"},
		{"task_flag_conflict", []string{"logs", "-task", "sidecar", alloc2ID, "hello"}, 2, ""},
		{"job_unknown", []string{"logs", "-job", "nosuch"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAgent(t)
			cluster(f)
			// One running allocation, so that the random pick is known.
			f.handle("GET /v1/job/hello/allocations", []any{helloAlloc().Stub()})
			logServer(f, allocID, logs)
			logServer(f, alloc2ID, logs)
			r := runAs(t, f, "nomad", nil, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if r.stdout != tt.stdout {
				t.Errorf("stdout %q, want %q", r.stdout, tt.stdout)
			}
		})
	}
}

func TestNamedHint(t *testing.T) {
	msg := `job "web" keeps running; see it with: drover job status web`
	if got, want := namedHint("nomad", msg), `job "web" keeps running; see it with: nomad job status web`; got != want {
		t.Errorf("namedHint: %q, want %q", got, want)
	}
	if got := namedHint("drover", msg); got != msg {
		t.Errorf("namedHint as drover: %q", got)
	}
}

// TestJobRunOutput: `run -output` prints the API JSON of the job file, as
// Nomad's does, and contacts no agent; the JSON runs again as a job file.
func TestJobRunOutput(t *testing.T) {
	path, dir := writeJobFile(t, "hello.nomad.hcl", helloHCL)
	r := runAs(t, nil, "nomad", nil, "run", "-output", path)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var out struct{ Job map[string]any }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Job["ID"] != "hello" {
		t.Fatalf("run -output printed %q (%v), want {\"Job\": {\"ID\": \"hello\", ...}}", r.stdout, err)
	}
	jsonPath := filepath.Join(dir, "hello.json")
	if err := os.WriteFile(jsonPath, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFakeAgent(t)
	handleWrite(f, "/v1/job/hello/plan", editPlan())
	if p := runAs(t, f, "nomad", nil, "plan", jsonPath); p.code != 1 {
		t.Errorf("plan of the -output JSON: exit %d, want 1\n%s", p.code, p.stderr)
	}
	if got, want := sentJob(t, writeRequests(f, "/v1/job/hello/plan")[0]).TaskGroups[0].Tasks[0].Name, "hello"; got != want {
		t.Errorf("the -output JSON sent task %q, want %q", got, want)
	}
}

// TestNodeStatusQuietAllocs: Nomad's node status -quiet prints full node
// IDs one per line (scripts loop over them); -allocs adds each node's
// running allocations.
func TestNodeStatusQuietAllocs(t *testing.T) {
	f := newFakeAgent(t)
	cluster(f)
	f.handle("GET /v1/node/"+node2ID+"/allocations", []any{})
	q := runAs(t, f, "nomad", nil, "node", "status", "-quiet")
	if q.code != 0 || q.stdout != nodeID+"\n"+node2ID+"\n" {
		t.Errorf("node status -quiet: exit %d, stdout %q", q.code, q.stdout)
	}
	r := runAs(t, f, "nomad", nil, "node-status", "-allocs")
	if r.code != 0 {
		t.Fatalf("node status -allocs: exit %d\n%s", r.code, r.stderr)
	}
	checkGoldenText(t, "node_status_allocs", r.stdout)
	if bad := runAs(t, f, "nomad", nil, "node", "status", "-quiet", "-allocs"); bad.code != 2 {
		t.Errorf("-quiet -allocs: exit %d, want 2", bad.code)
	}
}

// TestStatusTargetsAreCommands guards statusRun's hand-over: every kind
// it looks up names a command of the table.
func TestStatusTargetsAreCommands(t *testing.T) {
	for _, target := range statusTargets {
		found := false
		for _, c := range commands() {
			found = found || (c.name == target.command && c.setup != nil)
		}
		if !found {
			t.Errorf("status target %q is not a command of the table", target.command)
		}
	}
}
