package drover_test

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/drover-sh/drover"

// layers is DESIGN.md's package list, top to bottom: a package may import
// only packages of a later layer (or its own subpackages, listed after it).
var layers = []string{
	"bench/cmd/drover-sim", // the node simulator and the scale runs drive a whole agent
	"bench/scale",
	"bench/sim",
	"cmd/drover",
	"compat", // tests only: Nomad's API client against an in-process agent
	"internal/cli",
	"internal/testutil",
	"internal/agent",
	"internal/config",
	"internal/httpapi",
	"internal/dns",
	"internal/ui",
	"internal/server",
	"internal/raftstore",
	"internal/fsm",
	"internal/state",
	"internal/scheduler/schedtest", // a test harness: implements the scheduler's interfaces
	"internal/scheduler",
	"internal/scheduler/feasible",
	"internal/scheduler/reconcile",
	"internal/client",
	"internal/client/allocrunner",
	"internal/client/clientstate",
	"internal/client/taskenv",
	"internal/client/fingerprint",
	"internal/client/allocfs",
	"internal/client/internal/fakedriver",
	"internal/driver/drivertest",
	"internal/driver/rawexec",
	"internal/driver/exec",
	"internal/driver/mock",
	"internal/driver",
	"internal/template",
	"internal/artifact",
	"internal/logfile",
	"internal/cgroup",
	"internal/cgroup/cgrouptest",
	"internal/mountinfo",
	"internal/rpc",
	"internal/secrets",
	"internal/acl",
	"api",
	"jobspec",
	"",
}

type pkg struct {
	ImportPath string
	Dir        string
	Imports    []string
	GoFiles    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// TestImportDirection enforces DESIGN.md's rule: imports go downward only,
// and the root package imports nothing of ours.
func TestImportDirection(t *testing.T) {
	rank := map[string]int{}
	for i, l := range layers {
		rank[l] = i
	}
	for _, p := range listPackages(t) {
		from := rel(p.ImportPath)
		if strings.HasPrefix(from, "e2e") {
			continue // black-box tests of the binary
		}
		fr, ok := rank[from]
		if !ok {
			t.Errorf("package %q is not in DESIGN.md's list (add it to layers, and to DESIGN.md)", from)
			continue
		}
		for _, imp := range p.Imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := rel(imp)
			tr, ok := rank[to]
			if !ok {
				continue // reported when the imported package itself is checked
			}
			if tr <= fr {
				t.Errorf("%q imports %q, which is not below it in DESIGN.md's package list", from, to)
			}
		}
	}
}

// TestPackageDocs: every package says what it provides, in a doc comment.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		documented := false
		for _, f := range p.GoFiles {
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if file.Doc != nil && strings.TrimSpace(file.Doc.Text()) != "" {
				documented = true
				break
			}
		}
		if !documented && len(p.GoFiles) > 0 {
			t.Errorf("package %s has no package doc comment", p.ImportPath)
		}
	}
}
