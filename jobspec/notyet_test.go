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
	levels := []struct {
		name   string
		wrap   func(item string) string
		blocks []string
		attrs  []string
	}{
		{"root", func(s string) string { return s + "\njob \"j\" {\ngroup \"g\" {}\n}\n" },
			[]string{"variable", "locals"}, nil},
		{"job", func(s string) string { return "job \"j\" {\n" + s + "\ngroup \"g\" {}\n}\n" },
			[]string{"constraint", "affinity", "spread", "update", "migrate", "reschedule", "periodic", "parameterized", "multiregion", "vault", "consul"},
			[]string{"vault_token", "consul_token"}},
		{"group", func(s string) string { return "job \"j\" {\ngroup \"g\" {\n" + s + "\n}\n}\n" },
			[]string{"constraint", "affinity", "spread", "update", "migrate", "reschedule", "service", "volume", "scaling", "consul", "disconnect"},
			[]string{"shutdown_delay", "stop_after_client_disconnect", "max_client_disconnect"}},
		{"task", wrap,
			[]string{"constraint", "affinity", "artifact", "template", "service", "lifecycle", "volume_mount", "vault", "consul",
				"csi_plugin", "scaling", "dispatch_payload", "identity"},
			[]string{"kind", "shutdown_delay"}},
		{"resources", func(s string) string { return wrap("resources {\n" + s + "\n}") }, []string{"device", "numa"}, []string{"disk", "iops"}},
		{"group network", func(s string) string { return "job \"j\" {\ngroup \"g\" {\nnetwork {\n" + s + "\n}\n}\n}\n" },
			[]string{"dns", "cni"}, []string{"hostname"}},
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
