package jobspec

import (
	"os"
	"strings"
	"testing"
)

// TestNotYetSupported checks that every block and argument Nomad knows and
// drover does not implement yet is an error at its position, at every
// level where Nomad accepts it, never silently dropped.
func TestNotYetSupported(t *testing.T) {
	group := func(s string) string { return "job \"j\" {\ngroup \"g\" {\n" + s + "\n}\n}\n" }
	levels := []struct {
		name   string
		wrap   func(item string) string
		blocks []string
		attrs  []string
	}{
		{"job", func(s string) string { return "job \"j\" {\n" + s + "\ngroup \"g\" {}\n}\n" },
			[]string{"multiregion", "consul", "ui"},
			[]string{"consul_token", "consul_namespace", "id"}},
		{"group", group,
			[]string{"scaling", "consul", "task_group_update"},
			[]string{"prevent_reschedule_on_lost"}},
		{"group restart", func(s string) string { return group("restart {\n" + s + "\n}") }, nil, []string{"render_templates"}},
		{"volume", func(s string) string { return group("volume \"v\" {\n" + s + "\n}") }, []string{"mount_options"}, []string{"sticky"}},
		{"group network", func(s string) string { return group("network {\n" + s + "\n}") }, []string{"cni"}, nil},
		{"group service", func(s string) string { return group("service {\n" + s + "\n}") },
			[]string{"connect", "identity", "weights"}, []string{"cluster", "kind"}},
		{"task", wrap,
			[]string{"consul", "csi_plugin", "scaling", "action", "schedule"},
			[]string{"kind"}},
		{"resources", func(s string) string { return wrap("resources {\n" + s + "\n}") }, []string{"device", "numa"}, []string{"disk", "iops", "secrets"}},
		{"task service", func(s string) string { return wrap("service {\n" + s + "\n}") }, []string{"connect"}, nil},
		{"check", func(s string) string { return wrap("service {\ncheck {\n" + s + "\n}\n}") }, nil, []string{"tls_server_name", "notes"}},
		{"template", func(s string) string { return wrap("template {\n" + s + "\n}") }, []string{"change_script", "wait"}, []string{"vault_grace"}},
		{"artifact", func(s string) string { return wrap("artifact {\n" + s + "\n}") }, nil, []string{"chown"}},
		{"volume_mount", func(s string) string { return wrap("volume_mount {\n" + s + "\n}") }, nil, []string{"selinux_label"}},
	}
	for _, lv := range levels {
		for _, b := range lv.blocks {
			check(t, lv.name, lv.wrap(b+" {\n}"), `block "`+b+`" is not supported yet by drover`)
			// With labels, as volume "x" {} or a labelled variable, the same error.
			check(t, lv.name, lv.wrap(b+" \"x\" {\n}"), `block "`+b+`" is not supported yet by drover`)
		}
		for _, a := range lv.attrs {
			check(t, lv.name, lv.wrap(a+" = \"x\""), `argument "`+a+`" is not supported yet by drover`)
		}
	}
}

// TestVaultRefused checks that vault, at every level, is refused with a
// pointer to drover's own secrets, not as a block "not supported yet".
func TestVaultRefused(t *testing.T) {
	const want = "drover keeps secrets itself: use variables and workload identity instead of vault (see docs/secrets.md)"
	for _, src := range []string{
		"job \"j\" {\nvault {\n}\ngroup \"g\" {}\n}\n",
		"job \"j\" {\nvault_token = \"x\"\ngroup \"g\" {}\n}\n",
		"job \"j\" {\nvault_namespace = \"x\"\ngroup \"g\" {}\n}\n",
		"job \"j\" {\ngroup \"g\" {\nvault {}\n}\n}\n",
		wrap("vault {\npolicies = [\"p\"]\n}"),
	} {
		check(t, "vault", src, want)
	}
}

// TestSupportedNotRefused checks that the blocks and arguments drover
// implements are not in a notYet list any more: a minimal use of each
// parses without a "not supported yet" error.
func TestSupportedNotRefused(t *testing.T) {
	group := func(s string) string { return "job \"j\" {\ngroup \"g\" {\n" + s + "\n}\n}\n" }
	for _, src := range []string{
		"variable \"x\" {}\nlocals {}\njob \"j\" {\ngroup \"g\" {}\n}\n",
		jobWith("constraint {}\naffinity {}\nspread {}\nupdate {}\nmigrate {}\nreschedule {}\nperiodic {}\nparameterized {}"),
		group("constraint {}\naffinity {}\nspread {}\nupdate {}\nmigrate {}\nreschedule {}\nservice {}\nvolume \"v\" {}\ndisconnect {}\nshutdown_delay = \"1s\"\nmax_client_disconnect = \"1m\"\nstop_after_client_disconnect = \"1m\"\nnetwork {\nhostname = \"h\"\ndns {}\n}"),
		wrap("constraint {}\naffinity {}\nartifact {}\ntemplate {}\nservice {\ncheck {}\ncheck_restart {}\n}\nlifecycle {}\nvolume_mount {}\ndispatch_payload {}\nidentity {}\nshutdown_delay = \"1s\""),
	} {
		if _, err := Parse("t.hcl", []byte(src)); err != nil && strings.Contains(err.Error(), "not supported yet") {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func check(t *testing.T, level, src, want string) {
	t.Helper()
	_, err := Parse("t.hcl", []byte(src))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %q: got %v, want an error containing %q", level, src, err, want)
		return
	}
	if !strings.Contains(err.Error(), "t.hcl:") {
		t.Errorf("%s: error has no position: %v", level, err)
	}
}

func BenchmarkParse(b *testing.B) {
	src, err := os.ReadFile("testdata/full.hcl")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("full.hcl", src); err != nil {
			b.Fatal(err)
		}
	}
}
