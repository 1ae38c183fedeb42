package api

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/testutil"
)

func TestJobsPlan(t *testing.T) {
	var got *drover.JobPlanRequest
	rpc := &testutil.FakeRPC{JobPlan: func(a *drover.JobPlanRequest, r *drover.JobPlanResponse) error {
		got = a
		*r = drover.JobPlanResponse{
			Annotations:    &drover.PlanAnnotations{DesiredTGUpdates: map[string]*drover.DesiredUpdates{"g": {Place: 2, Ignore: 1}}},
			FailedTGAllocs: map[string]*drover.AllocMetric{"g": {NodesEvaluated: 3, ConstraintFiltered: map[string]int{"missing drivers": 3}}},
			CreatedEvals:   []*drover.Evaluation{{ID: "b1", Status: drover.EvalStatusBlocked}},
			JobModifyIndex: 7,
			Diff: &drover.JobDiff{Type: drover.DiffTypeEdited, ID: "web/1", TaskGroups: []*drover.TaskGroupDiff{{
				Type: drover.DiffTypeEdited, Name: "g", Updates: map[string]uint64{drover.UpdateTypeCreate: 2},
				Fields: []*drover.FieldDiff{{Type: drover.DiffTypeEdited, Name: "Count", Old: "1", New: "3", Annotations: []string{drover.AnnotationForcesCreate}}},
			}}},
			Warnings:  "group \"g\": task \"t\": driver \"docker\" is not available on any node",
			WriteMeta: drover.WriteMeta{Index: 20},
		}
		return nil
	}}
	c := newTestClient(t, rpc, nil, nil)
	job := roundTripJob()
	resp, wm, err := c.Jobs().Plan(job, true)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Diff || !reflect.DeepEqual(got.Job, job) {
		t.Errorf("request: diff %v, job changed in transit %v", got.Diff, !reflect.DeepEqual(got.Job, job))
	}
	if wm.LastIndex != 20 || resp.JobModifyIndex != 7 || resp.Annotations.DesiredTGUpdates["g"].Place != 2 ||
		resp.FailedTGAllocs["g"].ConstraintFiltered["missing drivers"] != 3 || len(resp.CreatedEvals) != 1 ||
		resp.Diff.TaskGroups[0].Fields[0].New != "3" || resp.Diff.TaskGroups[0].Updates["create"] != 2 || !strings.Contains(resp.Warnings, "docker") {
		t.Errorf("response %+v, meta %+v", resp, wm)
	}

	rpc.JobPlan = func(*drover.JobPlanRequest, *drover.JobPlanResponse) error {
		return drover.Errorf(drover.ErrInvalid, "job validation failed: count -1")
	}
	if _, _, err := c.Jobs().Plan(job, false); !errors.Is(err, drover.ErrInvalid) || !strings.Contains(err.Error(), "count -1") {
		t.Errorf("invalid: %v", err)
	}
}

func TestJobsValidate(t *testing.T) {
	rpc := &testutil.FakeRPC{JobValidate: func(a *drover.JobValidateRequest, r *drover.JobValidateResponse) error {
		r.ValidationErrors = []string{"job ID is required", "priority 1000 is out of range"}
		r.Error = strings.Join(r.ValidationErrors, "\n")
		r.Warnings = "w"
		return nil
	}}
	resp, _, err := newTestClient(t, rpc, nil, nil).Jobs().Validate(roundTripJob())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.ValidationErrors) != 2 || resp.DriverConfigValidated || resp.Warnings != "w" || !strings.Contains(resp.Error, "priority") {
		t.Errorf("response %+v", resp)
	}
}

func TestJobsParseHCL(t *testing.T) {
	c := newTestClient(t, &testutil.FakeRPC{}, nil, nil)
	src := "job \"web\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"docker\"\n      config {\n        image = \"nginx\"\n        port = 8080\n      }\n    }\n  }\n}\n"
	job, err := c.Jobs().ParseHCL(src, true)
	if err != nil {
		t.Fatal(err)
	}
	task := job.TaskGroups[0].Tasks[0]
	if job.ID != "web" || job.Priority != drover.DefaultPriority || task.Config["port"] != int64(8080) {
		t.Errorf("job %+v, config %#v", job, task.Config)
	}
	if raw, err := c.Jobs().ParseHCL(src, false); err != nil || raw.Priority != 0 {
		t.Errorf("without canonicalize: %v, %+v", err, raw)
	}
	_, err = c.Jobs().ParseHCL("job \"web\" {\n  bogus = 1\n", false)
	if !errors.Is(err, drover.ErrInvalid) || !strings.Contains(err.Error(), "job.hcl:") {
		t.Errorf("bad file: %v, want ErrInvalid with a position", err)
	}
}

func TestJobsVersions(t *testing.T) {
	var got *drover.JobVersionsRequest
	rpc := &testutil.FakeRPC{JobVersions: func(a *drover.JobVersionsRequest, r *drover.JobVersionsResponse) error {
		got = a
		if a.JobID != "web/1" {
			return nil // unknown: no versions
		}
		v1, v0 := roundTripJob(), roundTripJob()
		v1.Version = 1
		r.Versions = []*drover.Job{v1, v0}
		r.Diffs = []*drover.JobDiff{{Type: drover.DiffTypeEdited, ID: "web/1"}}
		r.QueryMeta = drover.QueryMeta{Index: 9}
		return nil
	}}
	c := newTestClient(t, rpc, nil, nil)
	versions, diffs, qm, err := c.Jobs().Versions("web/1", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Diffs || len(versions) != 2 || versions[0].Version != 1 || len(diffs) != 1 || qm.LastIndex != 9 {
		t.Errorf("versions %d, diffs %d, meta %+v", len(versions), len(diffs), qm)
	}
	if versions[1].TaskGroups[0].Tasks[0].Config["port"] != int64(8080) {
		t.Errorf("config numbers not normalized: %#v", versions[1].TaskGroups[0].Tasks[0].Config)
	}
	if _, _, _, err := c.Jobs().Versions("nope", false, nil); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("unknown job: %v", err)
	}
}

func TestJobsRevert(t *testing.T) {
	var got *drover.JobRevertRequest
	rpc := &testutil.FakeRPC{JobRevert: func(a *drover.JobRevertRequest, r *drover.JobRegisterResponse) error {
		got = a
		if a.EnforcePriorVersion != nil && *a.EnforcePriorVersion != 2 {
			return drover.Errorf(drover.ErrConflict, "current version is 2")
		}
		*r = drover.JobRegisterResponse{EvalID: "e9", JobModifyIndex: 30, WriteMeta: drover.WriteMeta{Index: 30}}
		return nil
	}}
	c := newTestClient(t, rpc, nil, nil)
	prior := uint64(2)
	resp, wm, err := c.Jobs().Revert("web/1", 0, &prior)
	if err != nil {
		t.Fatal(err)
	}
	if got.JobID != "web/1" || got.JobVersion != 0 || got.EnforcePriorVersion == nil || *got.EnforcePriorVersion != 2 {
		t.Errorf("request %+v", got)
	}
	if resp.EvalID != "e9" || wm.LastIndex != 30 {
		t.Errorf("response %+v %+v", resp, wm)
	}
	wrong := uint64(5)
	if _, _, err := c.Jobs().Revert("web/1", 0, &wrong); !errors.Is(err, drover.ErrConflict) {
		t.Errorf("enforce 5: %v", err)
	}
	if _, _, err := c.Jobs().Revert("web/1", 1, nil); err != nil || got.EnforcePriorVersion != nil {
		t.Errorf("no enforce: %v, request %+v", err, got)
	}
}
