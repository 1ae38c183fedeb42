package compat_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// jobServerSetPaths are the job fields the server fills in, by JSON path, and the
// numbers Nomad's server answers as 0 where its client leaves them unset.
var jobServerSetPaths = []string{
	".CreateIndex", ".ModifyIndex", ".JobModifyIndex", ".Status", ".SubmitTime", ".NodePool",
	".TaskGroups[0].Networks[0].MBits",
	".TaskGroups[0].Tasks[0].Resources.DiskMB", ".TaskGroups[0].Tasks[0].Resources.MemoryMaxMB",
}

// TestJobRoundTrip registers, through Nomad's client, a job using many of
// the blocks drover runs, reads it back and compares every field, after
// both sides are canonicalized by Nomad's client as tools do: what a user
// sends is what a user reads, field by field, with durations, nested blocks
// and maps intact.
func TestJobRoundTrip(t *testing.T) {
	d := startDevAgent(t)
	job := newMockServiceJob("web", 2, "1h")
	job.Update = &nomad.UpdateStrategy{MaxParallel: new(2), MinHealthyTime: new(5 * time.Second)}
	job.Constraints = []*nomad.Constraint{nomad.NewConstraint("${attr.kernel.name}", "=", "linux")}
	job.Meta = map[string]string{"owner": "ops"}
	tg := job.TaskGroups[0]
	tg.RestartPolicy = &nomad.RestartPolicy{Attempts: new(3), Delay: new(2 * time.Second), Interval: new(time.Minute), Mode: new("delay")}
	tg.ReschedulePolicy = &nomad.ReschedulePolicy{Attempts: new(2), Interval: new(time.Hour), Delay: new(10 * time.Second),
		DelayFunction: new("constant"), Unlimited: new(false)}
	tg.Networks = []*nomad.NetworkResource{{Mode: "host", DynamicPorts: []nomad.Port{{Label: "http", To: 8080}}}}
	tg.Services = []*nomad.Service{{Name: "web", PortLabel: "http", Provider: "nomad", Tags: []string{"v1"},
		Checks: []nomad.ServiceCheck{{Name: "alive", Type: "tcp", Interval: 3 * time.Second, Timeout: time.Second}}}}
	tg.Spreads = []*nomad.Spread{{Attribute: "${node.datacenter}", Weight: new(int8(50))}}
	tg.Affinities = []*nomad.Affinity{{LTarget: "${node.class}", RTarget: "x", Operand: "=", Weight: new(int8(30))}}
	tg.EphemeralDisk = &nomad.EphemeralDisk{SizeMB: new(150)}
	task := tg.Tasks[0]
	task.Env = map[string]string{"MODE": "test"}
	task.Templates = []*nomad.Template{{EmbeddedTmpl: new("port={{ env \"NOMAD_PORT_http\" }}"), DestPath: new("local/app.conf")}}
	task.Artifacts = []*nomad.TaskArtifact{{GetterSource: new("https://example.com/app.tgz"),
		GetterOptions: map[string]string{"checksum": "sha256:abcd"}}}

	sent := *job // as sent: the client does not canonicalize on Register
	job.Canonicalize()
	if _, _, err := d.api.Jobs().Register(&sent, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := d.api.Jobs().Info("web", nil)
	if err != nil {
		t.Fatal(err)
	}
	got.Canonicalize()

	var want, have any
	jobJSONOf(t, job, &want)
	jobJSONOf(t, got, &have)
	var diffs []string
	jobJSONDiff("", want, have, &diffs)
	sort.Strings(diffs)
	for _, d := range diffs {
		t.Error(d)
	}
}

// jobJSONOf turns v into its generic JSON form in out.
func jobJSONOf(t *testing.T, v any, out *any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// jobJSONDiff appends to out each path under path where the generic JSON
// values a and b differ, skipping jobServerSetPaths paths.
func jobJSONDiff(path string, a, b any, out *[]string) {
	if slices.Contains(jobServerSetPaths, path) {
		return
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: sent %v, read %v", path, a, b))
			return
		}
		for k := range x {
			jobJSONDiff(path+"."+k, x[k], y[k], out)
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				jobJSONDiff(path+"."+k, nil, y[k], out)
			}
		}
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			*out = append(*out, fmt.Sprintf("%s: sent %v, read %v", path, a, b))
			return
		}
		for i := range x {
			jobJSONDiff(fmt.Sprintf("%s[%d]", path, i), x[i], y[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, fmt.Sprintf("%s: sent %v, read %v", path, a, b))
		}
	}
}
