package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/drover-sh/drover"
)

// decodeJobBody decodes a body that carries a job, like decodeBody, and
// returns its bytes too, for jobFieldsLeftOut.
func decodeJobBody(r *http.Request, v any) ([]byte, error) {
	var raw bytes.Buffer
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.TeeReader(r.Body, &raw), r.Body}
	if err := decodeBody(r, v); err != nil {
		return nil, err
	}
	return raw.Bytes(), nil
}

// jobBodyShadow marks the fields of a job body whose absence means
// something other than their zero value.
type jobBodyShadow struct {
	Job *struct {
		TaskGroups []*struct{ Count *int }
		Periodic   *struct{ Enabled *bool }
	}
}

// fillLeftOut gives job what Nomad's clients mean by leaving a field out of
// the JSON body raw (Nomad's agent fills them in before anything else): a
// group without Count runs once, and a periodic block without Enabled is
// enabled. drover's job types hold values, so after decoding, absent and
// zero look alike; this tells them apart.
func fillLeftOut(raw []byte, job *drover.Job) {
	if job == nil {
		return
	}
	var shadow jobBodyShadow
	// The body decoded once already; a second decode of the same bytes into
	// a narrower shape cannot fail.
	if err := json.Unmarshal(raw, &shadow); err != nil || shadow.Job == nil {
		return
	}
	for i, tg := range shadow.Job.TaskGroups {
		if i < len(job.TaskGroups) && job.TaskGroups[i] != nil && (tg == nil || tg.Count == nil) {
			job.TaskGroups[i].Count = 1
		}
	}
	if p := shadow.Job.Periodic; p != nil && p.Enabled == nil && job.Periodic != nil {
		job.Periodic.Enabled = true
	}
}

// currentJob reads a job; nil when it does not exist.
func currentJob(ctx context.Context, rpc RPC, id string, q drover.QueryOptions) (*drover.Job, error) {
	q.MinQueryIndex, q.MaxQueryTime = 0, 0
	var reply drover.SingleJobResponse
	if err := rpc.RPC(ctx, drover.MethodJobGetJob, &drover.JobSpecificRequest{JobID: id, QueryOptions: q}, &reply); err != nil {
		return nil, err
	}
	return reply.Job, nil
}

// preserveRegister registers args.Job keeping, from the registered
// version, the count of every group it has (PreserveCounts) and the
// resources of every task it has (PreserveResources), as Nomad's; a new
// group or task keeps the body's. The old values are read and the job
// written guarded by the job modify index read, so a concurrent change is
// never overwritten: with the caller's own EnforceIndex the conflict is the
// caller's to see, else the read is retried.
func preserveRegister(ctx context.Context, rpc RPC, args *drover.JobRegisterRequest, counts, resources bool, reply *drover.JobRegisterResponse) error {
	userEnforced := args.EnforceIndex
	for attempt := 0; ; attempt++ {
		cur, err := currentJob(ctx, rpc, args.Job.ID, drover.QueryOptions{Region: args.Region, Namespace: args.Namespace})
		if err != nil {
			return err
		}
		job := args.Job.Copy()
		var index uint64
		if cur != nil {
			index = cur.JobModifyIndex
			// A copy: cur may be the state's own object, and job takes
			// parts of it.
			keepFrom(job, cur.Copy(), counts, resources)
		}
		try := *args
		try.Job = job
		if !userEnforced {
			try.EnforceIndex, try.JobModifyIndex = true, index
		}
		err = rpc.RPC(ctx, drover.MethodJobRegister, &try, reply)
		if err == nil || userEnforced || !errors.Is(err, drover.ErrConflict) || attempt == 2 {
			return err
		}
	}
}

// keepFrom sets in job the counts (when counts) of the groups and the
// resources (when resources) of the tasks that cur has too, by name; job
// shares cur's resources afterwards.
func keepFrom(job, cur *drover.Job, counts, resources bool) {
	old := make(map[string]*drover.TaskGroup, len(cur.TaskGroups))
	for _, tg := range cur.TaskGroups {
		old[tg.Name] = tg
	}
	for _, tg := range job.TaskGroups {
		if tg == nil || old[tg.Name] == nil {
			continue
		}
		otg := old[tg.Name]
		if counts {
			tg.Count = otg.Count
		}
		if !resources {
			continue
		}
		for _, t := range tg.Tasks {
			for _, ot := range otg.Tasks {
				if t != nil && ot.Name == t.Name && ot.Resources != nil {
					t.Resources = ot.Resources
				}
			}
		}
	}
}
