package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/scheduler/schedtest"
)

func jobVersions(t *testing.T, s *Server, id string, diffs bool) *drover.JobVersionsResponse {
	t.Helper()
	var reply drover.JobVersionsResponse
	if err := s.RPC(context.Background(), drover.MethodJobVersions, &drover.JobVersionsRequest{JobID: id, Diffs: diffs}, &reply); err != nil {
		t.Fatalf("versions: %v", err)
	}
	return &reply
}

// jobWithMeta is the test job with meta v = value: each value a version.
func jobWithMeta(value string) *drover.Job {
	j := schedtest.Job("web", 1)
	j.Meta = map[string]string{"v": value}
	return j
}

func TestJobVersionsWithDiffs(t *testing.T) {
	s := newTestServer(t, nil)
	registerJob(t, s, jobWithMeta("a"))
	registerJob(t, s, jobWithMeta("b"))

	reply := jobVersions(t, s, "web", true)
	if len(reply.Versions) != 2 || reply.Versions[0].Version != 1 || reply.Versions[1].Version != 0 {
		t.Fatalf("versions %v, want 1 then 0", versionList(reply.Versions))
	}
	if reply.Versions[0].Meta["v"] != "b" || reply.Versions[1].Meta["v"] != "a" {
		t.Errorf("versions hold meta %q, %q", reply.Versions[0].Meta["v"], reply.Versions[1].Meta["v"])
	}
	if len(reply.Diffs) != 1 || reply.Diffs[0] == nil || reply.Diffs[0].Type != drover.DiffTypeEdited {
		t.Fatalf("diffs %+v, want one edit", reply.Diffs)
	}
	if reply.Index == 0 {
		t.Error("no index")
	}
	if r := jobVersions(t, s, "web", false); r.Diffs != nil {
		t.Errorf("diffs without asking: %+v", r.Diffs)
	}
	if r := jobVersions(t, s, "nope", true); len(r.Versions) != 0 || len(r.Diffs) != 0 {
		t.Errorf("unknown job: %+v", r)
	}
}

func revert(s *Server, version uint64, prior *uint64) (*drover.JobRegisterResponse, error) {
	var reply drover.JobRegisterResponse
	err := s.RPC(context.Background(), drover.MethodJobRevert, &drover.JobRevertRequest{JobID: "web", JobVersion: version, EnforcePriorVersion: prior}, &reply)
	return &reply, err
}

func TestJobRevert(t *testing.T) {
	s := newTestServer(t, nil)
	// An update block: canonicalized, it holds the default stagger, which
	// must not read as the deprecated syntax when the version comes back.
	withUpdate := jobWithMeta("a")
	withUpdate.TaskGroups[0].Update = &drover.UpdateStrategy{MaxParallel: 1}
	registerJob(t, s, withUpdate)
	registerJob(t, s, jobWithMeta("b"))

	wrong := uint64(0)
	if _, err := revert(s, 0, &wrong); !errors.Is(err, drover.ErrConflict) {
		t.Errorf("enforcing prior version 0 when at 1: %v, want ErrConflict", err)
	}
	if _, err := revert(s, 1, nil); !errors.Is(err, drover.ErrInvalid) || !strings.Contains(err.Error(), "job is already at version 1") {
		t.Errorf("revert to the current version: %v", err)
	}
	if _, err := revert(s, 7, nil); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("revert to an unknown version: %v", err)
	}
	var reply drover.JobRegisterResponse
	if err := s.RPC(context.Background(), drover.MethodJobRevert, &drover.JobRevertRequest{JobID: "nope"}, &reply); !errors.Is(err, drover.ErrNotFound) {
		t.Errorf("revert of an unknown job: %v", err)
	}

	right := uint64(1)
	resp, err := revert(s, 0, &right)
	if err != nil {
		t.Fatalf("revert: %v", err)
	}
	if resp.EvalID == "" || evalOf(t, s, resp.EvalID) == nil {
		t.Errorf("revert created no evaluation: %+v", resp)
	}
	if strings.Contains(resp.Warnings, "deprecated") {
		t.Errorf("revert warns about deprecated syntax the user never wrote: %q", resp.Warnings)
	}
	versions := jobVersions(t, s, "web", false).Versions
	if len(versions) != 3 || versions[0].Version != 2 {
		t.Fatalf("versions %s, want 2, 1, 0", versionList(versions))
	}
	changed, err := versions[2].SpecChanged(versions[0])
	if err != nil || changed {
		t.Errorf("version 2 differs from version 0 (%v): meta %v", err, versions[0].Meta)
	}
	current, _ := s.State().JobByID(nil, "default", "web")
	if current.Version != 2 || current.Meta["v"] != "a" || resp.JobModifyIndex != current.JobModifyIndex {
		t.Errorf("current job version %d meta %v, reply %+v", current.Version, current.Meta, resp)
	}
}
