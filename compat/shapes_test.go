package compat_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"
)

// shapeStatus returns the HTTP status of an error Nomad's client returned
// for a non-2xx answer (0 when err carries none).
func shapeStatus(err error) int {
	var ue nomad.UnexpectedResponseError
	if errors.As(err, &ue) && ue.HasStatusCode() {
		return ue.StatusCode()
	}
	var uep *nomad.UnexpectedResponseError
	if errors.As(err, &uep) && uep.HasStatusCode() {
		return uep.StatusCode()
	}
	return 0
}

// shapeWantError fails unless err is an answer with status code whose text
// contains every one of words.
func shapeWantError(t *testing.T, what string, err error, code int, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want status %d", what, code)
	}
	if got := shapeStatus(err); got != code {
		t.Fatalf("%s: status %d (%v), want %d", what, got, err, code)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("%s: error %q does not say %q", what, err, w)
		}
	}
}

// shapeMockJob returns a one-group service job whose task runs on the mock
// driver for an hour, built with Nomad's own job types as its users do.
func shapeMockJob(id string) *nomad.Job {
	job := nomad.NewServiceJob(id, id, "global", 50)
	job.Datacenters = []string{"dc1"}
	task := nomad.NewTask("main", "mock").SetConfig("run_for", "1h")
	cpu, mem := 100, 32
	task.Require(&nomad.Resources{CPU: &cpu, MemoryMB: &mem})
	job.AddTaskGroup(nomad.NewTaskGroup("web", 1).AddTask(task))
	return job
}

// shapeRunJob registers job and waits until its allocation runs; it
// returns the registration's evaluation ID and the allocation.
func shapeRunJob(t *testing.T, d *devAgent, job *nomad.Job) (string, *nomad.AllocationListStub) {
	t.Helper()
	resp, _, err := d.api.Jobs().Register(job, nil)
	if err != nil {
		t.Fatalf("register %s: %v", *job.ID, err)
	}
	var last []*nomad.AllocationListStub
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		allocs, _, err := d.api.Jobs().Allocations(*job.ID, false, nil)
		if err != nil {
			t.Fatalf("job allocations: %v", err)
		}
		for _, a := range allocs {
			if a.ClientStatus == "running" {
				return resp.EvalID, a
			}
		}
		last = allocs
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s: no running allocation within 30s (last: %d allocations)", *job.ID, len(last))
	return "", nil
}
