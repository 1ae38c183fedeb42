package cli

import (
	"fmt"
	"net/http"
	"strconv"

	drover "github.com/drover-sh/drover"
)

// The API paths of job plan, validate, history, inspect and revert, as the
// fake agent answers them (Nomad's paths and verbs):
//
//	PUT  /v1/job/<id>/plan      {"Job": ..., "Diff": bool} → JobPlanResponse
//	PUT  /v1/validate/job       {"Job": ...} → JobValidateResponse
//	GET  /v1/job/<id>/versions  ?diffs=true → {"Versions": [...], "Diffs": [...]}
//	PUT  /v1/job/<id>/revert    {"JobID", "JobVersion", "EnforcePriorVersion"} → JobRegisterResponse
//
// The api package may send POST where these say PUT; handleWrite answers
// both.
func handleWrite(f *fakeAgent, path string, answer any) {
	f.handle("PUT "+path, answer)
	f.handle("POST "+path, answer)
}

// writeRequests returns the PUT and POST requests the fake got for path.
func writeRequests(f *fakeAgent, path string) []*recordedRequest {
	return append(f.find("PUT "+path), f.find("POST "+path)...)
}

// editDiff is the contextual difference of a job whose group count went
// from 1 to 3 and whose task changed its command and gained an env
// variable; its unchanged Region and LogConfig show only with -verbose.
func editDiff() *drover.JobDiff {
	return &drover.JobDiff{
		Type: drover.DiffTypeEdited, ID: "hello",
		Fields: []*drover.FieldDiff{
			{Type: drover.DiffTypeEdited, Name: "Priority", Old: "50", New: "60"},
			{Type: drover.DiffTypeNone, Name: "Region", Old: "global", New: "global"},
		},
		TaskGroups: []*drover.TaskGroupDiff{{
			Type: drover.DiffTypeEdited, Name: "hello",
			Fields: []*drover.FieldDiff{
				{Type: drover.DiffTypeEdited, Name: "Count", Old: "1", New: "3", Annotations: []string{drover.AnnotationForcesCreate}},
			},
			Tasks: []*drover.TaskDiff{{
				Type: drover.DiffTypeEdited, Name: "hello",
				Annotations: []string{drover.AnnotationForcesDestructive},
				Fields: []*drover.FieldDiff{
					{Type: drover.DiffTypeAdded, Name: "Env[GREETING]", New: "hi"},
				},
				Objects: []*drover.ObjectDiff{{
					Type: drover.DiffTypeNone, Name: "LogConfig",
					Fields: []*drover.FieldDiff{{Type: drover.DiffTypeNone, Name: "MaxFiles", Old: "10", New: "10"}},
				}, {
					Type: drover.DiffTypeEdited, Name: "Config",
					Fields: []*drover.FieldDiff{
						{Type: drover.DiffTypeNone, Name: "args[0]", Old: "-c", New: "-c"},
						{Type: drover.DiffTypeEdited, Name: "command", Old: "/bin/sh", New: "/bin/bash"},
					},
				}},
			}, {
				Type: drover.DiffTypeNone, Name: "sidecar",
			}},
		}, {
			Type: drover.DiffTypeDeleted, Name: "old",
			Tasks: []*drover.TaskDiff{{
				Type: drover.DiffTypeDeleted, Name: "old", Annotations: []string{drover.AnnotationForcesDestroy},
				Fields: []*drover.FieldDiff{{Type: drover.DiffTypeDeleted, Name: "Driver", Old: "raw_exec"}},
			}},
		}},
	}
}

// editPlan is the plan of editDiff: 2 placements, 1 destructive update,
// the old group's allocation stopped.
func editPlan() *drover.JobPlanResponse {
	return &drover.JobPlanResponse{
		Diff:           editDiff(),
		JobModifyIndex: 42,
		Annotations: &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{
			"hello": {Place: 2, DestructiveUpdate: 1},
			"old":   {Stop: 1},
		}},
	}
}

// newJobPlan is the plan of a job not registered yet.
func newJobPlan() *drover.JobPlanResponse {
	return &drover.JobPlanResponse{
		Diff: &drover.JobDiff{
			Type: drover.DiffTypeAdded, ID: "hello",
			Fields: []*drover.FieldDiff{{Type: drover.DiffTypeAdded, Name: "Type", New: "service"}},
			TaskGroups: []*drover.TaskGroupDiff{{
				Type: drover.DiffTypeAdded, Name: "hello",
				Fields: []*drover.FieldDiff{{Type: drover.DiffTypeAdded, Name: "Count", New: "1"}},
				Tasks: []*drover.TaskDiff{{
					Type: drover.DiffTypeAdded, Name: "hello", Annotations: []string{drover.AnnotationForcesCreate},
					Fields: []*drover.FieldDiff{{Type: drover.DiffTypeAdded, Name: "Driver", New: "raw_exec"}},
				}},
			}},
		},
		Annotations: &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{"hello": {Place: 1}}},
	}
}

// preemptingPlan places the new job by evicting allocations of other jobs:
// n of them, over two jobs.
func preemptingPlan(n int) *drover.JobPlanResponse {
	p := newJobPlan()
	p.Annotations.DesiredTGUpdates["hello"].Preemptions = uint64(n)
	for i := range n {
		job, typ := "batch-etl", drover.JobTypeBatch
		if i%3 == 0 {
			job, typ = "cache", drover.JobTypeService
		}
		p.Annotations.PreemptedAllocs = append(p.Annotations.PreemptedAllocs, &drover.AllocListStub{
			ID: fmt.Sprintf("%08x-0000-4000-8000-00000000000%d", 0xa0+i, i%10), JobID: job, JobType: typ,
			Namespace: "default", TaskGroup: "workers",
		})
	}
	return p
}

// unchangedPlan is the plan of the registered job itself.
func unchangedPlan() *drover.JobPlanResponse {
	return &drover.JobPlanResponse{
		Diff: &drover.JobDiff{
			Type: drover.DiffTypeNone, ID: "hello",
			TaskGroups: []*drover.TaskGroupDiff{{
				Type: drover.DiffTypeNone, Name: "hello",
				Tasks: []*drover.TaskDiff{{Type: drover.DiffTypeNone, Name: "hello"}},
			}},
		},
		JobModifyIndex: 10,
		Annotations:    &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{"hello": {Ignore: 1}}},
	}
}

// failedPlan is a plan whose placements do not fit.
func failedPlan() *drover.JobPlanResponse {
	p := newJobPlan()
	p.FailedTGAllocs = map[string]*drover.AllocMetric{"hello": placementMetric()}
	return p
}

// helloVersions are three versions of the job hello, newest first, and
// the differences between them.
func helloVersions() (versions []*drover.Job, diffs []*drover.JobDiff) {
	for v := 2; v >= 0; v-- {
		j := helloJob()
		j.Version = uint64(v)
		j.Stable = v < 2
		j.SubmitTime = ns(t0) + int64(v)*60e9
		j.TaskGroups[0].Count = v + 1
		versions = append(versions, j)
	}
	for v := 2; v >= 1; v-- {
		diffs = append(diffs, &drover.JobDiff{
			Type: drover.DiffTypeEdited, ID: "hello",
			TaskGroups: []*drover.TaskGroupDiff{{
				Type: drover.DiffTypeEdited, Name: "hello",
				Fields: []*drover.FieldDiff{{Type: drover.DiffTypeEdited, Name: "Count", Old: strconv.Itoa(v), New: strconv.Itoa(v + 1)}},
				Tasks:  []*drover.TaskDiff{{Type: drover.DiffTypeNone, Name: "hello"}},
			}},
		})
	}
	return versions, diffs
}

// versionsAnswer answers GET /v1/job/hello/versions, with the diffs only
// when ?diffs=true.
func versionsAnswer() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		versions, diffs := helloVersions()
		out := map[string]any{"Versions": versions}
		if r.URL.Query().Get("diffs") == "true" {
			out["Diffs"] = diffs
		}
		writeFakeJSON(w, out)
	}
}
