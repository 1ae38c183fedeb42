package jobspec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover"
)

// TestBlocksMapping checks, block by block, which field each attribute of
// the job specification lands in, beyond the golden files' whole jobs.
func TestBlocksMapping(t *testing.T) {
	task := func(j *drover.Job) *drover.Task { return j.TaskGroups[0].Tasks[0] }
	group := func(j *drover.Job) *drover.TaskGroup { return j.TaskGroups[0] }
	inGroup := func(s string) string { return "job \"j\" {\ngroup \"g\" {\n" + s + "\n}\n}\n" }
	ten := 10 * time.Second
	yes := false
	tests := []struct {
		name string
		src  string
		get  func(*drover.Job) any
		want any
	}{
		{"constraint default operator", jobWith("constraint {\nattribute = \"${attr.a}\"\nvalue = \"x\"\n}"),
			func(j *drover.Job) any { return *j.Constraints[0] }, drover.Constraint{LTarget: "${attr.a}", RTarget: "x", Operand: "="}},
		{"constraint number value", jobWith("constraint {\nattribute = \"${attr.n}\"\noperator = \">\"\nvalue = 3\n}"),
			func(j *drover.Job) any { return *j.Constraints[0] }, drover.Constraint{LTarget: "${attr.n}", RTarget: "3", Operand: ">"}},
		{"distinct_hosts false is a distinct_hosts that is off", jobWith("constraint {\ndistinct_hosts = false\n}"),
			func(j *drover.Job) any { return *j.Constraints[0] }, drover.Constraint{Operand: "distinct_hosts", RTarget: "false"}},
		{"distinct_hosts true", jobWith("constraint {\ndistinct_hosts = true\n}"),
			func(j *drover.Job) any { return *j.Constraints[0] }, drover.Constraint{Operand: "distinct_hosts"}},
		{"distinct_hosts false beside an attribute leaves the equality", jobWith("constraint {\nattribute = \"${attr.a}\"\nvalue = \"x\"\ndistinct_hosts = false\n}"),
			func(j *drover.Job) any { return *j.Constraints[0] }, drover.Constraint{LTarget: "${attr.a}", RTarget: "x", Operand: "="}},
		{"host volume", inGroup("volume \"certs\" {\ntype = \"host\"\nsource = \"certs\"\nread_only = true\nper_alloc = true\n}"),
			func(j *drover.Job) any { return *group(j).Volumes["certs"] },
			drover.VolumeRequest{Name: "certs", Type: "host", Source: "certs", ReadOnly: true, PerAlloc: true}},
		{"distinct_property", jobWith("constraint {\ndistinct_property = \"${meta.rack}\"\n}"),
			func(j *drover.Job) any { return *j.Constraints[0] }, drover.Constraint{LTarget: "${meta.rack}", Operand: "distinct_property"}},
		{"affinity defaults", jobWith("affinity {\nattribute = \"${node.class}\"\nvalue = \"big\"\n}"),
			func(j *drover.Job) any { return *j.Affinities[0] }, drover.Affinity{LTarget: "${node.class}", RTarget: "big", Operand: "=", Weight: 50}},
		{"spread targets", jobWith("spread {\nattribute = \"${node.datacenter}\"\nweight = 20\ntarget \"a\" { percent = 60 }\ntarget \"b\" {}\n}"),
			func(j *drover.Job) any { return *j.Spreads[0] },
			drover.Spread{Attribute: "${node.datacenter}", Weight: 20, SpreadTarget: []*drover.SpreadTarget{{Value: "a", Percent: 60}, {Value: "b"}}}},
		{"group update left partial for Canonicalize", inGroup("update {\ncanary = 1\n}"),
			func(j *drover.Job) any { return *group(j).Update }, drover.UpdateStrategy{Canary: 1}},
		{"periodic defaults", jobWith("type = \"batch\"\nperiodic {\ncrons = [\"@daily\"]\n}"),
			func(j *drover.Job) any { return *j.Periodic },
			drover.PeriodicConfig{Enabled: true, Spec: "@daily", Specs: []string{"@daily"}, SpecType: "cron"}},
		{"periodic older cron", jobWith("type = \"batch\"\nperiodic {\ncron = \"@hourly\"\nenabled = false\n}"),
			func(j *drover.Job) any { return *j.Periodic },
			drover.PeriodicConfig{Spec: "@hourly", Specs: []string{"@hourly"}, SpecType: "cron"}},
		{"count as string", inGroup("count = \"3\""), func(j *drover.Job) any { return group(j).Count }, 3},
		{"shutdown_delay zero is set", inGroup("shutdown_delay = \"0s\""), func(j *drover.Job) any { return *group(j).ShutdownDelay }, time.Duration(0)},
		{"disconnect", inGroup("disconnect {\nlost_after = \"10s\"\nreplace = false\nstop_on_client_after = \"10s\"\n}"),
			func(j *drover.Job) any { return *group(j).Disconnect },
			drover.DisconnectStrategy{LostAfter: ten, Replace: &yes, StopOnClientAfter: &ten}},
		{"volume", inGroup("volume \"d\" {\ntype = \"host\"\nsource = \"data\"\nread_only = true\n}"),
			func(j *drover.Job) any { return group(j).Volumes },
			map[string]*drover.VolumeRequest{"d": {Name: "d", Type: "host", Source: "data", ReadOnly: true}}},
		{"dns", inGroup("network {\ndns {\nservers = [\"1.1.1.1\"]\n}\n}"),
			func(j *drover.Job) any { return *group(j).Networks[0].DNS }, drover.DNSConfig{Servers: []string{"1.1.1.1"}}},
		{"config attribute form", wrap("config = {\ncommand = \"/bin/true\"\nargs = [\"a\"]\n}"),
			func(j *drover.Job) any { return task(j).Config }, map[string]any{"command": "/bin/true", "args": []any{"a"}}},
		{"artifact attribute form", wrap("artifact = {\nsource = \"https://x/y\"\noptions = { checksum = \"md5:00\" }\n}"),
			func(j *drover.Job) any { return *task(j).Artifacts[0] },
			drover.TaskArtifact{GetterSource: "https://x/y", GetterOptions: map[string]string{"checksum": "md5:00"}}},
		{"identity default and named", wrap("identity {\nenv = true\n}\nidentity {\nname = \"vault\"\naud = [\"v\"]\n}"),
			func(j *drover.Job) any { return []any{*task(j).Identity, *task(j).Identities[0]} },
			[]any{drover.WorkloadIdentity{Env: true}, drover.WorkloadIdentity{Name: "vault", Audience: []string{"v"}}}},
		{"identity named default", wrap("identity {\nname = \"default\"\nfile = true\n}"),
			func(j *drover.Job) any { return task(j).Identity.File }, true},
		{"template uid zero", wrap("template {\ndata = \"x\"\ndestination = \"local/x\"\nuid = 0\n}"),
			func(j *drover.Job) any { return *task(j).Templates[0].Uid }, 0},
		{"lifecycle", wrap("lifecycle {\nhook = \"poststop\"\n}"),
			func(j *drover.Job) any { return *task(j).Lifecycle }, drover.TaskLifecycleConfig{Hook: "poststop"}},
		{"dispatch_payload", wrap("dispatch_payload {\nfile = \"in.json\"\n}"),
			func(j *drover.Job) any { return task(j).DispatchPayload.File }, "in.json"},
		{"volume_mount", wrap("volume_mount {\nvolume = \"d\"\ndestination = \"/d\"\nread_only = true\n}"),
			func(j *drover.Job) any { return *task(j).VolumeMounts[0] }, drover.VolumeMount{Volume: "d", Destination: "/d", ReadOnly: true}},
		{"service port number", wrap("service {\nport = 8080\n}"), func(j *drover.Job) any { return task(j).Services[0].PortLabel }, "8080"},
		{"check header block", wrap("service {\ncheck {\nheader {\nX = [\"a\", \"b\"]\n}\n}\n}"),
			func(j *drover.Job) any { return task(j).Services[0].Checks[0].Header }, map[string][]string{"X": {"a", "b"}}},
		{"check header attr", wrap("service {\ncheck {\nheader = { Y = [\"c\"] }\n}\n}"),
			func(j *drover.Job) any { return task(j).Services[0].Checks[0].Header }, map[string][]string{"Y": {"c"}}},
		{"check_restart", wrap("service {\ncheck_restart {\nlimit = 2\ngrace = \"10s\"\n}\n}"),
			func(j *drover.Job) any { return *task(j).Services[0].CheckRestart }, drover.CheckRestart{Limit: 2, Grace: ten}},
		{"task shutdown_delay", wrap("shutdown_delay = \"10s\""), func(j *drover.Job) any { return task(j).ShutdownDelay }, ten},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := mustParse(t, tt.src)
			if got := tt.get(job); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestDeprecationWarnings checks that older syntax parses with a warning
// at its position, and that current syntax earns none.
func TestDeprecationWarnings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // "" for no warning
	}{
		{"count string", "job \"j\" {\ngroup \"g\" {\ncount = \"2\"\n}\n}\n", `t.hcl:3:9: Deprecated count string`},
		{"cron", "job \"j\" {\ntype = \"batch\"\nperiodic {\ncron = \"@daily\"\n}\ngroup \"g\" {}\n}\n", `t.hcl:4:1: Deprecated argument; cron is deprecated`},
		{"stagger on a service job", jobWith("update {\nstagger = \"5s\"\n}"), `t.hcl:3:1: Deprecated argument; stagger applies only to system jobs`},
		{"stagger on a system job", "job \"j\" {\ntype = \"system\"\nupdate {\nstagger = \"5s\"\n}\ngroup \"g\" {}\n}\n", ""},
		{"max_client_disconnect", "job \"j\" {\ngroup \"g\" {\nmax_client_disconnect = \"1h\"\n}\n}\n", `t.hcl:3:1: Deprecated argument; max_client_disconnect`},
		{"port_map", wrap("config {\nport_map {\nhttp = 80\n}\n}"), `t.hcl:6:1: Deprecated port_map`},
		{"artifact attribute", wrap("artifact = { source = \"x\" }"), `t.hcl:5:1: Deprecated argument; artifact = { ... }`},
		{"task network", wrap("resources {\nnetwork {\nport \"a\" {}\n}\n}"), `t.hcl:6:1: Deprecated block`},
		{"current syntax", wrap("config {\nports = [\"http\"]\n}"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ParseWithOptions("t.hcl", []byte(tt.src), Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []string
			for _, w := range res.Warnings {
				got = append(got, w.String())
			}
			text := strings.Join(got, "\n")
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("unexpected warnings:\n%s", text)
			case tt.want != "" && !strings.Contains(text, tt.want):
				t.Errorf("warnings lack %q:\n%s", tt.want, text)
			}
		})
	}
}

// TestDynamicBlocksBounded checks that nested dynamic blocks cannot make
// the parser generate blocks without bound: the file is refused quickly.
func TestDynamicBlocksBounded(t *testing.T) {
	src := "locals { n = [for i in range(1000) : i] }\njob \"j\" {\ngroup \"g\" {\ntask \"t\" {\ndriver = \"mock\"\n" +
		"dynamic \"constraint\" {\nfor_each = local.n\ncontent {\ndynamic \"x\" {\nfor_each = local.n\ncontent {}\n}\n}\n}\n}\n}\n}\n"
	start := time.Now()
	_, err := Parse("t.hcl", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "Too many dynamic blocks") {
		t.Fatalf("got %v, want Too many dynamic blocks", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// TestBlocksErrors checks errors of the attribute forms and dynamic
// blocks, with their positions.
func TestBlocksErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"artifact attribute not an object", wrap(`artifact = "https://x"`), `t.hcl:5:12: Incorrect attribute value type; "artifact" must be written as an object { ... }, or better as a block: artifact { ... }.`},
		{"artifact list element not an object", wrap(`artifact = [{ source = "a" }, 1]`), `t.hcl:5:31: Incorrect attribute value type; each element of "artifact" must be written as an object { ... }.`},
		{"artifact attribute unknown key", wrap(`artifact = { sorce = "a" }`), `t.hcl:5:14: Unsupported argument; an argument named "sorce" is not expected here. Did you mean "source"?`},
		{"distinct_hosts not a bool", jobWith("constraint {\ndistinct_hosts = \"yes\"\n}"), `t.hcl:3:18: Incorrect attribute value type; inappropriate value for attribute "distinct_hosts": bool required.`},
		{"dynamic iterator quoted", wrap("dynamic \"template\" {\nfor_each = [1]\niterator = \"x\"\ncontent {}\n}"), `t.hcl:7:12: Invalid dynamic iterator name`},
		{"dynamic labels not a list", inGroupOf("dynamic \"volume\" {\nfor_each = [1]\nlabels = \"v\"\ncontent {}\n}"), `t.hcl:5:10: Incorrect attribute value type; inappropriate value for attribute "labels": list of string required.`},
		{"dynamic without label", inGroupOf("dynamic {\nfor_each = [1]\ncontent {}\n}"), `t.hcl:3:9: Missing block type; a dynamic block needs 1 label(s): "block type".`},
		{"dynamic two contents", inGroupOf("dynamic \"spread\" {\nfor_each = [1]\ncontent {}\ncontent {}\n}"), `t.hcl:6:1: Duplicate content block`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.hcl", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant an error containing %q", err, tt.want)
			}
		})
	}
}

func inGroupOf(s string) string { return "job \"j\" {\ngroup \"g\" {\n" + s + "\n}\n}\n" }
