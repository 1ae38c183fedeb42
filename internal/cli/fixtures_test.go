package cli

import (
	"time"

	drover "github.com/drover-sh/drover"
)

// The fixtures describe a small cluster: one node running one allocation of
// the job "hello", plus a job "help" whose only placement failed and a job
// "hello-big" that nothing could place.

// t0 is when the fixtures happened; testNow is the clock the tests give the
// CLI, 1m3s later.
var (
	t0      = time.Date(2026, 11, 21, 20, 50, 0, 0, time.UTC)
	testNow = t0.Add(63 * time.Second)
)

const (
	nodeID       = "3e5f1a2b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
	node2ID      = "3e9a0000-1111-4222-8333-444455556666"
	allocID      = "cb3116cf-7d2e-4f1a-9b3c-5d6e7f8a9b0c"
	alloc2ID     = "cb8f22aa-0000-4000-8000-000000000002"
	evalID       = "d3a1c4f0-aaaa-4bbb-8ccc-dddddddddddd"
	failedEvalID = "d3f00000-1111-4222-8333-444444444444"
	blockedID    = "67493a64-5555-4666-8777-888888888888"
)

func ns(t time.Time) int64 { return t.UnixNano() }

func helloJob() *drover.Job {
	j := &drover.Job{
		ID: "hello", Type: drover.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*drover.TaskGroup{{
			Name: "hello", Count: 1,
			Tasks: []*drover.Task{{
				Name: "hello", Driver: "raw_exec",
				Config:    map[string]any{"command": "/bin/sh"},
				Resources: &drover.Resources{CPU: 100, MemoryMB: 64},
			}},
		}},
		Status: drover.JobStatusRunning, SubmitTime: ns(t0),
		CreateIndex: 10, ModifyIndex: 12, JobModifyIndex: 10,
	}
	j.Canonicalize()
	return j
}

func jobStubs() []*drover.JobListStub {
	hello := helloJob()
	help := helloJob()
	help.ID, help.Name, help.Type, help.Priority, help.Status = "help", "help", drover.JobTypeBatch, 70, drover.JobStatusPending
	big := helloJob()
	big.ID, big.Name, big.Status, big.Stop = "hello-big", "hello-big", drover.JobStatusDead, true
	return []*drover.JobListStub{hello.Stub(nil), big.Stub(nil), help.Stub(nil)}
}

func helloSummary() *drover.JobSummary {
	return &drover.JobSummary{JobID: "hello", Namespace: "default", Summary: map[string]drover.TaskGroupSummary{
		"hello": {Running: 1, Failed: 1},
	}}
}

func placementMetric() *drover.AllocMetric {
	return &drover.AllocMetric{
		NodesEvaluated: 2, NodesFiltered: 1, NodesExhausted: 1,
		NodesAvailable:     map[string]int{"dc1": 2},
		ConstraintFiltered: map[string]int{"missing drivers": 1},
		DimensionExhausted: map[string]int{"memory": 1},
		CoalescedFailures:  2,
	}
}

func helloEvals() []*drover.Evaluation {
	return []*drover.Evaluation{
		{ID: evalID, Namespace: "default", Priority: 50, Type: "service", TriggeredBy: drover.EvalTriggerJobRegister,
			JobID: "hello", Status: drover.EvalStatusComplete, CreateIndex: 11, ModifyIndex: 13,
			CreateTime: ns(t0), ModifyTime: ns(t0.Add(time.Second))},
		{ID: failedEvalID, Namespace: "default", Priority: 50, Type: "service", TriggeredBy: drover.EvalTriggerAllocFailure,
			JobID: "hello", Status: drover.EvalStatusComplete, BlockedEval: blockedID, CreateIndex: 20, ModifyIndex: 21,
			FailedTGAllocs: map[string]*drover.AllocMetric{"hello": placementMetric()},
			CreateTime:     ns(t0.Add(30 * time.Second)), ModifyTime: ns(t0.Add(31 * time.Second))},
		{ID: blockedID, Namespace: "default", Priority: 50, Type: "service", TriggeredBy: drover.EvalTriggerQueuedAllocs,
			JobID: "hello", Status: drover.EvalStatusBlocked, PreviousEval: failedEvalID, CreateIndex: 21, ModifyIndex: 21,
			CreateTime: ns(t0.Add(31 * time.Second)), ModifyTime: ns(t0.Add(31 * time.Second))},
	}
}

func helloAlloc() *drover.Allocation {
	at := func(d time.Duration) int64 { return ns(t0.Add(d)) }
	return &drover.Allocation{
		ID: allocID, Namespace: "default", EvalID: evalID, Name: "hello.hello[0]",
		NodeID: nodeID, NodeName: "node-1", JobID: "hello", Job: helloJob(), TaskGroup: "hello",
		AllocatedResources: &drover.AllocatedResources{
			Tasks: map[string]*drover.AllocatedTaskResources{"hello": {
				Cpu: drover.AllocatedCpuResources{CpuShares: 100}, Memory: drover.AllocatedMemoryResources{MemoryMB: 64},
			}},
			Shared: drover.AllocatedSharedResources{DiskMB: 300, Ports: []drover.AllocatedPortMapping{{Label: "http", Value: 23456, To: 8080, HostIP: "10.0.0.5"}}},
		},
		DesiredStatus: drover.AllocDesiredStatusRun, ClientStatus: drover.AllocClientStatusRunning,
		ClientDescription: "Tasks are running",
		TaskStates: map[string]*drover.TaskState{"hello": {
			State: drover.TaskStateRunning, Restarts: 1,
			StartedAt: t0.Add(20 * time.Second), LastRestart: t0.Add(5 * time.Second),
			Events: []*drover.TaskEvent{
				{Type: drover.TaskReceived, Time: at(time.Second)},
				{Type: drover.TaskSetup, Time: at(time.Second), Message: "Building Task Directory"},
				{Type: drover.TaskStarted, Time: at(2 * time.Second)},
				{Type: drover.TaskTerminated, Time: at(4 * time.Second), ExitCode: 1, Message: "boom"},
				{Type: drover.TaskRestarting, Time: at(5 * time.Second), StartDelay: int64(15 * time.Second)},
				{Type: drover.TaskDriverFailure, Time: at(19 * time.Second), DriverError: `failed to launch command with executor: exec: "nope": executable file not found`},
				{Type: drover.TaskStarted, Time: at(20 * time.Second)},
			},
		}},
		CreateIndex: 12, ModifyIndex: 15, CreateTime: at(time.Second), ModifyTime: at(20 * time.Second),
	}
}

// twoTaskAlloc is an allocation whose group runs two tasks.
func twoTaskAlloc() *drover.Allocation {
	a := helloAlloc()
	a.ID = alloc2ID
	a.Name = "hello.hello[1]"
	job := helloJob()
	job.TaskGroups[0].Tasks = append(job.TaskGroups[0].Tasks, &drover.Task{Name: "sidecar", Driver: "raw_exec"})
	a.Job = job
	a.CreateIndex, a.CreateTime = 11, ns(t0)
	a.DesiredStatus, a.ClientStatus = drover.AllocDesiredStatusStop, drover.AllocClientStatusFailed
	return a
}

func helloNode() *drover.Node {
	return &drover.Node{
		ID: nodeID, Datacenter: "dc1", Name: "node-1", HTTPAddr: "10.0.0.5:4646", NodePool: "default",
		Attributes: map[string]string{
			"os.name": "ubuntu", "kernel.name": "linux", "arch": "amd64", "cpu.numcores": "4",
			"cpu.frequency": "2000", "memory.totalbytes": "8589934592", "unique.hostname": "node-1",
			"driver.raw_exec": "1", "unique.storage.volume": "/dev/sda1",
		},
		Meta: map[string]string{"rack": "r1"},
		NodeResources: &drover.NodeResources{
			Cpu: drover.NodeCpuResources{CpuShares: 8000}, Memory: drover.NodeMemoryResources{MemoryMB: 8192},
			Disk: drover.NodeDiskResources{DiskMB: 102400},
		},
		ReservedResources: &drover.NodeReservedResources{Memory: drover.NodeMemoryResources{MemoryMB: 512}},
		Drivers: map[string]*drover.DriverInfo{
			"raw_exec": {Detected: true, Healthy: true}, "docker": {Detected: false},
		},
		Status: drover.NodeStatusReady, SchedulingEligibility: drover.NodeEligible,
		CreateIndex: 5, ModifyIndex: 5,
	}
}

func nodeStubs() []*drover.NodeListStub {
	n2 := helloNode()
	n2.ID, n2.Name, n2.NodeClass, n2.Status, n2.SchedulingEligibility = node2ID, "node-2", "batch", drover.NodeStatusDown, drover.NodeIneligible
	return []*drover.NodeListStub{helloNode().Stub(), n2.Stub()}
}

// cluster answers every read path of the fixtures.
func cluster(f *fakeAgent) {
	job := helloJob()
	alloc := helloAlloc()
	two := twoTaskAlloc()
	evals := helloEvals()
	node := helloNode()
	f.handle("GET /v1/jobs", jobStubs())
	f.handle("GET /v1/job/hello", job)
	f.handle("GET /v1/job/hello/summary", helloSummary())
	f.handle("GET /v1/job/hello/evaluations", evals)
	f.handle("GET /v1/job/hello/allocations", []*drover.AllocListStub{alloc.Stub(), two.Stub()})
	f.handle("GET /v1/allocations", []*drover.AllocListStub{alloc.Stub(), two.Stub()})
	f.handle("GET /v1/allocation/"+allocID, alloc)
	f.handle("GET /v1/allocation/"+alloc2ID, two)
	f.handle("GET /v1/evaluations", evals)
	for _, e := range evals {
		f.handle("GET /v1/evaluation/"+e.ID, e)
	}
	f.handle("GET /v1/nodes", nodeStubs())
	f.handle("GET /v1/node/"+nodeID, node)
	f.handle("GET /v1/node/"+nodeID+"/allocations", []*drover.Allocation{alloc, two})
	f.handle("GET /v1/agent/self", map[string]any{"stats": map[string]map[string]string{"client": {"node_id": nodeID}}})
}
