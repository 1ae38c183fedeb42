package server

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

// jobVersions reads the kept versions of a job, newest first (none for an
// unknown job) and, when asked, the difference of each from the one before.
func (s *Server) jobVersions(ctx context.Context, args *drover.JobVersionsRequest, reply *drover.JobVersionsResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		versions, err := st.JobVersionsByID(ws, namespaceOf(args.Namespace), args.JobID)
		if err != nil {
			return 0, err
		}
		reply.Versions, reply.Diffs = versions, nil
		if args.Diffs {
			for i := 0; i+1 < len(versions); i++ {
				d, err := jobDiff(versions[i+1], versions[i], false)
				if err != nil {
					return 0, fmt.Errorf("diff of job %q version %d: %w", args.JobID, versions[i].Version, err)
				}
				reply.Diffs = append(reply.Diffs, d)
			}
		}
		return tableIndex(st, state.TableJobVersions)
	})
}

// jobRevert registers a kept version of a job again, as a new version,
// through the ordinary registration (so it is validated and evaluated). It
// is registered only if the job has not changed since it was read here.
func (s *Server) jobRevert(ctx context.Context, args *drover.JobRevertRequest, reply *drover.JobRegisterResponse) error {
	if done, err := s.forward(ctx, drover.MethodJobRevert, args, reply); done {
		return err
	}
	ns := namespaceOf(args.Namespace)
	st := s.State()
	current, err := st.JobByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("job revert: %w", err)
	}
	if current == nil {
		return drover.Errorf(drover.ErrNotFound, "job %q not found", args.JobID)
	}
	if p := args.EnforcePriorVersion; p != nil && *p != current.Version {
		return drover.Errorf(drover.ErrConflict, "job %q: current version %d does not match the prior version %d", args.JobID, current.Version, *p)
	}
	if args.JobVersion == current.Version {
		return drover.Errorf(drover.ErrInvalid, "job is already at version %d", current.Version)
	}
	versions, err := st.JobVersionsByID(nil, ns, args.JobID)
	if err != nil {
		return fmt.Errorf("job revert: %w", err)
	}
	var target *drover.Job
	for _, v := range versions {
		if v.Version == args.JobVersion {
			target = v
			break
		}
	}
	if target == nil {
		return drover.Errorf(drover.ErrNotFound, "job %q has no version %d (kept versions: %s)", args.JobID, args.JobVersion, versionList(versions))
	}
	err = s.jobRegister(ctx, &drover.JobRegisterRequest{
		Job: target.Copy(), EnforceIndex: true, JobModifyIndex: current.JobModifyIndex,
		WriteRequest: drover.WriteRequest{Region: args.Region, Namespace: ns},
	}, reply)
	// The stored version is canonical, so its defaults can look like older
	// syntax; its real deprecations were reported when it was registered.
	reply.Warnings = withoutDeprecations(reply.Warnings)
	return err
}

// versionList lists the version numbers of versions, e.g. "3, 2, 1".
func versionList(versions []*drover.Job) string {
	out := ""
	for i, v := range versions {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprint(v.Version)
	}
	return out
}
