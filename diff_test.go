package drover

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// render prints a diff as one line per change, "<path> <Type> <old> -> <new>"
// with its annotations, for table tests to search.
func render(d *JobDiff) string {
	var b strings.Builder
	var fields func(prefix string, fs []*FieldDiff)
	fields = func(prefix string, fs []*FieldDiff) {
		for _, f := range fs {
			b.WriteString(prefix + f.Name + " " + f.Type + " " + f.Old + " -> " + f.New)
			if len(f.Annotations) > 0 {
				b.WriteString(" (" + strings.Join(f.Annotations, ", ") + ")")
			}
			b.WriteString("\n")
		}
	}
	var objects func(prefix string, os []*ObjectDiff)
	objects = func(prefix string, os []*ObjectDiff) {
		for _, o := range os {
			p := prefix + o.Name
			b.WriteString(p + " " + o.Type + "\n")
			fields(p+".", o.Fields)
			objects(p+".", o.Objects)
		}
	}
	b.WriteString("job " + d.Type + "\n")
	fields("", d.Fields)
	objects("", d.Objects)
	for _, g := range d.TaskGroups {
		p := "group[" + g.Name + "]"
		b.WriteString(p + " " + g.Type + "\n")
		fields(p+".", g.Fields)
		objects(p+".", g.Objects)
		for _, t := range g.Tasks {
			tp := p + ".task[" + t.Name + "]"
			b.WriteString(tp + " " + t.Type + " (" + strings.Join(t.Annotations, ", ") + ")\n")
			fields(tp+".", t.Fields)
			objects(tp+".", t.Objects)
		}
	}
	return b.String()
}

func TestJobDiff(t *testing.T) {
	group := func(j *Job) *TaskGroup { return j.TaskGroups[0] }
	task := func(j *Job) *Task { return j.TaskGroups[0].Tasks[0] }
	tests := []struct {
		name       string
		mutate     func(*Job)
		contextual bool
		want       []string
		absent     []string
	}{
		{"unchanged", func(*Job) {}, false, []string{"job None\n", "group[g] None\n", "task[t] None ()"}, []string{"Edited"}},
		{"server fields ignored", func(j *Job) {
			j.Version, j.ModifyIndex, j.JobModifyIndex, j.SubmitTime, j.Status, j.Stable = 3, 9, 9, 12345, "running", true
		}, false, []string{"job None\n"}, []string{"Version", "Status"}},
		{"job field", func(j *Job) { j.Priority = 70 }, false, []string{"job Edited", "Priority Edited 50 -> 70"}, nil},
		{"job meta", func(j *Job) { j.Meta = map[string]string{"owner": "ops"} }, false, []string{"Meta[owner] Added  -> ops"}, nil},
		{"datacenters as a set", func(j *Job) { j.Datacenters = []string{"*", "dc2"} }, false,
			[]string{"Datacenters Edited", "Datacenters.Datacenters Added  -> dc2"}, []string{"Datacenters.Datacenters None"}},
		{"constraint edited is deleted and added", func(j *Job) { j.Constraints[0].RTarget = "darwin" }, false,
			[]string{"Constraint Deleted", "Constraint.RTarget Deleted linux -> ", "Constraint Added", "Constraint.RTarget Added  -> darwin"}, nil},
		{"periodic added", func(j *Job) { j.Periodic = &PeriodicConfig{Enabled: true, Specs: []string{"@daily"}, SpecType: "cron"} }, false,
			[]string{"Periodic Added", "Periodic.Enabled Added  -> true", "Periodic.Specs[0] Added  -> @daily"}, nil},
		{"group added", func(j *Job) {
			c := *group(j)
			c.Name = "h"
			j.TaskGroups = append(j.TaskGroups, &c)
		}, false, []string{"group[h] Added", "group[h].Count Added  -> 1", "group[h].task[t] Added (forces create)"}, nil},
		{"group deleted", func(j *Job) { j.TaskGroups = nil }, false,
			[]string{"group[g] Deleted", "group[g].task[t] Deleted (forces destroy)"}, nil},
		{"count up", func(j *Job) { group(j).Count = 3 }, false, []string{"group[g].Count Edited 1 -> 3 (forces create)"}, nil},
		{"count down", func(j *Job) { group(j).Count = 0 }, false, []string{"group[g].Count Edited 1 -> 0 (forces destroy)"}, nil},
		{"update block", func(j *Job) { u := DefaultUpdateStrategy(); u.Canary = 2; group(j).Update = u }, false,
			[]string{"group[g].Update Added", "group[g].Update.Canary Added  -> 2", "group[g].Update.MinHealthyTime Added  -> 10s"}, nil},
		{"restart policy edited", func(j *Job) { group(j).RestartPolicy.Attempts = 9 }, false,
			[]string{"group[g].RestartPolicy Edited", "group[g].RestartPolicy.Attempts Edited 2 -> 9"}, []string{"RestartPolicy.Mode"}},
		{"contextual keeps unchanged fields", func(j *Job) { group(j).RestartPolicy.Attempts = 9 }, true,
			[]string{"group[g].RestartPolicy.Mode None fail -> fail", "group[g].RestartPolicy.Attempts Edited 2 -> 9",
				"group[g].EphemeralDisk None", "group[g].EphemeralDisk.SizeMB None 300 -> 300", "job Edited\nAllAtOnce None false -> false"},
			[]string{"task[t].", "task[t] Edited"}},
		{"task driver forces destructive", func(j *Job) { task(j).Driver = "exec" }, false,
			[]string{"task[t] Edited (forces create/destroy update)", "task[t].Driver Edited raw_exec -> exec"}, nil},
		{"task config flattened", func(j *Job) {
			task(j).Config["args"] = []any{"-v", map[string]any{"port": 80}}
			task(j).Config["command"] = "/bin/false"
		}, false, []string{"task[t].Config Edited", "Config.command Edited /bin/true -> /bin/false", "Config.args[0] Added  -> -v",
			"Config.args[1][port] Added  -> 80", "(forces create/destroy update)"}, nil},
		{"task env", func(j *Job) { task(j).Env = map[string]string{"A": "1"} }, false,
			[]string{"task[t].Env[A] Added  -> 1", "(forces create/destroy update)"}, nil},
		{"task resources", func(j *Job) { task(j).Resources.MemoryMB = 512 }, false,
			[]string{"task[t].Resources.MemoryMB Edited 300 -> 512", "(forces create/destroy update)"}, nil},
		{"kill timeout in place", func(j *Job) { task(j).KillTimeout = time.Minute }, false,
			[]string{"task[t] Edited (forces in-place update)", "task[t].KillTimeout Edited 5s -> 1m0s"}, nil},
		{"service tags in place", func(j *Job) { task(j).Services[0].Tags = []string{"v2"} }, false,
			[]string{"task[t] Edited (forces in-place update)", "task[t].Service Edited", "task[t].Service.Tags Added", "Service.Tags.Tags Added  -> v2"}, nil},
		{"check edited matched by name", func(j *Job) { task(j).Services[0].Checks[0].Path = "/ready" }, false,
			[]string{"task[t].Service.Check Edited", "task[t].Service.Check.Path Edited /health -> /ready", "(forces in-place update)"}, nil},
		{"service renamed is deleted and added", func(j *Job) { task(j).Services[0].Name = "api2" }, false,
			[]string{"task[t].Service Deleted", "task[t].Service Added", "(forces in-place update)"}, nil},
		{"log disabled forces destructive", func(j *Job) { task(j).LogConfig.Disabled = true }, false,
			[]string{"task[t].LogConfig.Disabled Edited false -> true", "(forces create/destroy update)"}, nil},
		{"log size in place", func(j *Job) { task(j).LogConfig.MaxFiles = 3 }, false, []string{"(forces in-place update)"}, nil},
		{"template edited by destination", func(j *Job) { task(j).Templates = []*Template{{DestPath: "local/a", EmbeddedTmpl: "x"}} }, false,
			[]string{"task[t].Template Added", "task[t].Template.DestPath Added  -> local/a", "(forces create/destroy update)"}, nil},
		{"group port by label", func(j *Job) { group(j).Networks[0].DynamicPorts[0].To = 9090 }, false,
			[]string{"group[g].Network Edited", "group[g].Network.Dynamic Port Edited", "group[g].Network.Dynamic Port.To Edited 8080 -> 9090"}, nil},
		{"volume added", func(j *Job) {
			group(j).Volumes = map[string]*VolumeRequest{"data": {Name: "data", Type: "host", Source: "d"}}
		}, false,
			[]string{"group[g].Volume Added", "group[g].Volume.Source Added  -> d"}, nil},
		{"shutdown delay pointer", func(j *Job) { d := 10 * time.Second; group(j).ShutdownDelay = &d }, false,
			[]string{"group[g].ShutdownDelay Added  -> 10s"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := diffBase()
			new := old.Copy()
			tt.mutate(new)
			d, err := old.Diff(new, tt.contextual)
			if err != nil {
				t.Fatal(err)
			}
			got := render(d)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("diff lacks %q:\n%s", w, got)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("diff has %q:\n%s", a, got)
				}
			}
		})
	}
}

// diffBase is a small canonicalized service job for the diff table.
func diffBase() *Job {
	j := &Job{ID: "web", Constraints: []*Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux"}},
		TaskGroups: []*TaskGroup{{
			Name: "g", Count: 1,
			Networks: []*NetworkResource{{DynamicPorts: []Port{{Label: "http", To: 8080}}}},
			Tasks: []*Task{{Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"},
				Services: []*Service{{Name: "api", PortLabel: "http",
					Checks: []*ServiceCheck{{Name: "alive", Type: "http", Path: "/health", Interval: time.Second, Timeout: time.Second}}}}}},
		}}}
	j.Canonicalize()
	return j
}

func TestJobDiffWholeJobs(t *testing.T) {
	j := diffBase()
	added, err := (*Job)(nil).Diff(j, false)
	if err != nil || added.Type != DiffTypeAdded || added.ID != "web" || added.TaskGroups[0].Type != DiffTypeAdded {
		t.Fatalf("added = %+v, %v", added, err)
	}
	deleted, err := j.Diff(nil, false)
	if err != nil || deleted.Type != DiffTypeDeleted || deleted.TaskGroups[0].Tasks[0].Annotations[0] != AnnotationForcesDestroy {
		t.Fatalf("deleted = %+v, %v", deleted, err)
	}
	if d, err := (*Job)(nil).Diff(nil, false); err != nil || d.Type != DiffTypeNone {
		t.Errorf("nil/nil = %+v, %v", d, err)
	}
	other := j.Copy()
	other.ID = "api"
	if _, err := j.Diff(other, false); err == nil {
		t.Error("diffing jobs with different IDs must fail")
	}
}

func TestJobDiffIsDeterministic(t *testing.T) {
	old, new := goldenJobs()
	first, _ := old.Diff(new, true)
	a, _ := json.Marshal(first)
	for i := 0; i < 20; i++ {
		d, _ := old.Diff(new, true)
		b, _ := json.Marshal(d)
		if !bytes.Equal(a, b) {
			t.Fatal("two diffs of the same jobs differ")
		}
	}
}

// goldenJobs are two versions of a realistic job: a docker web service with
// a sidecar, an http check and an update block, then its next version.
func goldenJobs() (*Job, *Job) {
	old := &Job{
		ID: "shop", Datacenters: []string{"eu-west-1a", "eu-west-1b"}, Meta: map[string]string{"team": "storefront"},
		Constraints: []*Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux"}},
		Update:      &UpdateStrategy{MaxParallel: 1, Canary: 1, AutoRevert: true},
		TaskGroups: []*TaskGroup{{
			Name: "frontend", Count: 3,
			Networks: []*NetworkResource{{Mode: "bridge", DynamicPorts: []Port{{Label: "http", To: 8080}, {Label: "metrics", To: 9102}}}},
			Services: []*Service{{Name: "shop-web", PortLabel: "http", Tags: []string{"urlprefix-/", "v1"},
				Checks: []*ServiceCheck{{Name: "http-alive", Type: "http", Path: "/healthz", Interval: 10 * time.Second, Timeout: 2 * time.Second}}}},
			Tasks: []*Task{{
				Name: "web", Driver: "docker",
				Config:    map[string]any{"image": "registry.example.com/shop/web:1.4.2", "ports": []any{"http", "metrics"}, "args": []any{"--listen", ":8080"}},
				Env:       map[string]string{"LOG_LEVEL": "info"},
				Resources: &Resources{CPU: 500, MemoryMB: 256},
				Templates: []*Template{{EmbeddedTmpl: "DB={{ key \"shop/db\" }}", DestPath: "secrets/db.env", Envvars: true}},
			}, {
				Name: "log-shipper", Driver: "docker", Lifecycle: &TaskLifecycleConfig{Hook: "prestart", Sidecar: true},
				Config:    map[string]any{"image": "vector:0.34"},
				Resources: &Resources{CPU: 100, MemoryMB: 64},
			}},
		}, {
			Name: "worker", Count: 1,
			Tasks: []*Task{{Name: "queue", Driver: "exec", Config: map[string]any{"command": "/usr/local/bin/queue"}}},
		}},
	}
	new := old.Copy()
	new.Meta["team"] = "checkout"
	new.Datacenters = []string{"eu-west-1a", "eu-west-1c"}
	fe := new.TaskGroups[0]
	fe.Count = 5
	fe.Services[0].Tags = []string{"urlprefix-/", "v2"}
	fe.Services[0].Checks[0].Interval = 5 * time.Second
	web := fe.Tasks[0]
	web.Config["image"] = "registry.example.com/shop/web:1.5.0"
	web.Env["FEATURE_CART"] = "on"
	web.Resources.MemoryMB = 512
	new.TaskGroups = append(new.TaskGroups[:1], &TaskGroup{
		Name: "cron", Count: 1,
		Tasks: []*Task{{Name: "report", Driver: "raw_exec", Config: map[string]any{"command": "/opt/report"}}},
	})
	old.Canonicalize()
	new.Canonicalize()
	return old, new
}

func TestJobDiffGolden(t *testing.T) {
	old, new := goldenJobs()
	for _, tt := range []struct {
		file       string
		contextual bool
	}{{"shop.json", false}, {"shop_contextual.json", true}} {
		d, err := old.Diff(new, tt.contextual)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", "diff", tt.file)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("reading golden file (run with -update to create it): %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (run with -update to rewrite):\n%s", path, got)
		}
	}
}
