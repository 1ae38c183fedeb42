package taskenv

import (
	"reflect"
	"testing"

	"github.com/drover-sh/drover"
)

func testInput() Input {
	task := &drover.Task{
		Name: "web", Driver: "raw_exec",
		Env:       map[string]string{"GREETING": "hi ${NOMAD_TASK_NAME}", "PORT": "${NOMAD_PORT_http}"},
		Meta:      map[string]string{"tier": "front"},
		Resources: &drover.Resources{CPU: 100, MemoryMB: 64},
	}
	job := &drover.Job{ID: "shop", Name: "shop", Region: "global", Namespace: "default",
		Meta:       map[string]string{"owner": "ops", "tier": "back"},
		TaskGroups: []*drover.TaskGroup{{Name: "api", Tasks: []*drover.Task{task}, Meta: map[string]string{"my-key": "v"}}}}
	alloc := &drover.Allocation{ID: "a1", Name: "shop.api[3]", Namespace: "default", TaskGroup: "api", Job: job, JobID: "shop",
		AllocatedResources: &drover.AllocatedResources{
			Tasks: map[string]*drover.AllocatedTaskResources{"web": {Cpu: drover.AllocatedCpuResources{CpuShares: 250}, Memory: drover.AllocatedMemoryResources{MemoryMB: 128}}},
			Shared: drover.AllocatedSharedResources{Networks: []*drover.NetworkResource{{IP: "10.0.0.5",
				DynamicPorts:  []drover.Port{{Label: "http", Value: 23456}},
				ReservedPorts: []drover.Port{{Label: "admin", Value: 9000, To: 90}}}}},
		}}
	node := &drover.Node{ID: "n1", Name: "box", Datacenter: "dc1", NodeClass: "gpu",
		Attributes: map[string]string{"kernel.name": "linux"}, Meta: map[string]string{"rack": "r7"}}
	return Input{Alloc: alloc, Task: task, Node: node, AllocDir: "/d/a1", TaskDir: "/d/a1/web", Path: "/usr/bin:/bin"}
}

func TestBuild(t *testing.T) {
	env := Build(testInput()).Map()
	want := map[string]string{
		"NOMAD_ALLOC_ID": "a1", "DROVER_ALLOC_ID": "a1", "NOMAD_ALLOC_NAME": "shop.api[3]", "NOMAD_ALLOC_INDEX": "3",
		"NOMAD_JOB_NAME": "shop", "NOMAD_JOB_ID": "shop", "NOMAD_GROUP_NAME": "api", "NOMAD_TASK_NAME": "web",
		"NOMAD_NAMESPACE": "default", "NOMAD_REGION": "global", "NOMAD_DC": "dc1",
		"NOMAD_ALLOC_DIR": "/d/a1/alloc", "NOMAD_TASK_DIR": "/d/a1/web/local", "NOMAD_SECRETS_DIR": "/d/a1/web/secrets",
		"NOMAD_CPU_LIMIT": "250", "NOMAD_MEMORY_LIMIT": "128",
		"NOMAD_PORT_http": "23456", "NOMAD_HOST_PORT_http": "23456", "NOMAD_IP_http": "10.0.0.5", "NOMAD_ADDR_http": "10.0.0.5:23456",
		"NOMAD_PORT_admin": "90", "NOMAD_HOST_PORT_admin": "9000", "DROVER_ADDR_admin": "10.0.0.5:9000",
		"NOMAD_META_owner": "ops", "NOMAD_META_tier": "front", "NOMAD_META_my-key": "v", "NOMAD_META_MY_KEY": "v",
		"PATH": "/usr/bin:/bin", "GREETING": "hi web", "PORT": "23456",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
}

func TestReplace(t *testing.T) {
	e := Build(testInput())
	tests := []struct{ in, want string }{
		{"${NOMAD_ALLOC_ID}", "a1"},
		{"${DROVER_TASK_NAME}-${NOMAD_ALLOC_INDEX}", "web-3"},
		{"${node.unique.id} ${node.unique.name} ${node.datacenter} ${node.class}", "n1 box dc1 gpu"},
		{"${attr.kernel.name}/${meta.rack}", "linux/r7"},
		{"${env.GREETING}", "hi web"},
		{"${attr.nope} ${UNKNOWN} $HOME", "${attr.nope} ${UNKNOWN} $HOME"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := e.Replace(tt.in); got != tt.want {
			t.Errorf("Replace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReplaceConfig(t *testing.T) {
	e := Build(testInput())
	in := map[string]any{
		"command": "/bin/${NOMAD_TASK_NAME}",
		"args":    []any{"-port", "${NOMAD_PORT_http}", 7},
		"nested":  map[string]any{"dir": "${NOMAD_TASK_DIR}"},
		"n":       3,
	}
	got := e.ReplaceConfig(in)
	want := map[string]any{
		"command": "/bin/web",
		"args":    []any{"-port", "23456", 7},
		"nested":  map[string]any{"dir": "/d/a1/web/local"},
		"n":       3,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if in["command"] != "/bin/${NOMAD_TASK_NAME}" {
		t.Fatal("ReplaceConfig modified its input")
	}
}
