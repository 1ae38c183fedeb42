package schedtest

import (
	"fmt"

	drover "github.com/drover-sh/drover"
)

// Node returns a ready node in datacenter dc1 with 4000 MHz, 8192 MB of
// memory, 100 GB of disk, a healthy raw_exec and exec driver, Linux
// attributes and an IP, named after its ID.
func Node(id string) *drover.Node {
	return &drover.Node{
		ID: id, Name: "node-" + id, Datacenter: "dc1", NodeClass: "", NodePool: drover.DefaultNodePool,
		Attributes: map[string]string{
			"kernel.name": "linux", "os.name": "ubuntu", "arch": "amd64",
			"cpu.numcores": "4", "unique.hostname": "host-" + id,
			"unique.network.ip-address": "10.0.0.1", "driver.raw_exec": "1",
		},
		Meta: map[string]string{},
		NodeResources: &drover.NodeResources{
			Cpu:    drover.NodeCpuResources{CpuShares: 4000, TotalCpuCores: 4},
			Memory: drover.NodeMemoryResources{MemoryMB: 8192},
			Disk:   drover.NodeDiskResources{DiskMB: 100 * 1024},
		},
		Drivers: map[string]*drover.DriverInfo{
			"exec": {Detected: true, Healthy: true},
		},
		Status:                drover.NodeStatusReady,
		SchedulingEligibility: drover.NodeEligible,
	}
}

// Nodes returns n nodes from Node, with IDs "node-000", "node-001", ...
// and distinct IPs.
func Nodes(n int) []*drover.Node {
	out := make([]*drover.Node, n)
	for i := range out {
		out[i] = Node(fmt.Sprintf("node-%03d", i))
		out[i].Attributes["unique.network.ip-address"] = fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)
	}
	return out
}

// Job returns a canonicalized service job with one group "web" of count
// tasks "server" (raw_exec, 500 MHz, 256 MB), in every datacenter.
func Job(id string, count int) *drover.Job {
	j := &drover.Job{
		ID: id, Type: drover.JobTypeService,
		TaskGroups: []*drover.TaskGroup{{
			Name: "web", Count: count,
			EphemeralDisk: &drover.EphemeralDisk{SizeMB: 150},
			Tasks: []*drover.Task{{
				Name: "server", Driver: "raw_exec",
				Resources: &drover.Resources{CPU: 500, MemoryMB: 256},
			}},
		}},
	}
	j.Canonicalize()
	return j
}

// BatchJob is Job with type batch.
func BatchJob(id string, count int) *drover.Job {
	j := Job(id, count)
	j.Type = drover.JobTypeBatch
	return j
}

// Eval returns a pending evaluation of job triggered by a registration.
func Eval(job *drover.Job) *drover.Evaluation {
	return &drover.Evaluation{
		ID: drover.GenerateID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: drover.EvalTriggerJobRegister, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: drover.EvalStatusPending,
	}
}
