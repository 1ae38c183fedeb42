package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/rpc"
	"github.com/drover-sh/drover/internal/state"
)

// registerEndpoints registers a handler for every drover.Method* constant.
func (s *Server) registerEndpoints() {
	r := s.rpcServer
	rpc.Register(r, drover.MethodStatusLeader, s.statusLeader)
	rpc.Register(r, drover.MethodStatusPing, s.statusPing)
	rpc.Register(r, drover.MethodStatusPeers, s.statusPeers)

	rpc.Register(r, drover.MethodJobRegister, s.jobRegister)
	rpc.Register(r, drover.MethodJobDeregister, s.jobDeregister)
	rpc.Register(r, drover.MethodJobGetJob, s.jobGetJob)
	rpc.Register(r, drover.MethodJobList, s.jobList)
	rpc.Register(r, drover.MethodJobAllocations, s.jobAllocations)
	rpc.Register(r, drover.MethodJobEvaluations, s.jobEvaluations)
	rpc.Register(r, drover.MethodJobSummary, s.jobSummary)
	rpc.Register(r, drover.MethodJobPlan, s.jobPlan)
	rpc.Register(r, drover.MethodJobValidate, s.jobValidate)
	rpc.Register(r, drover.MethodJobVersions, s.jobVersions)
	rpc.Register(r, drover.MethodJobRevert, s.jobRevert)
	rpc.Register(r, drover.MethodJobDispatch, s.jobDispatch)
	rpc.Register(r, drover.MethodPeriodicForce, s.periodicForce)

	rpc.Register(r, drover.MethodAllocList, s.allocList)
	rpc.Register(r, drover.MethodAllocGetAlloc, s.allocGetAlloc)
	rpc.Register(r, drover.MethodAllocGetAllocs, s.allocGetAllocs)
	rpc.Register(r, drover.MethodAllocStop, s.allocStop)

	rpc.Register(r, drover.MethodEvalList, s.evalList)
	rpc.Register(r, drover.MethodEvalGetEval, s.evalGetEval)

	rpc.Register(r, drover.MethodNodeRegister, s.nodeRegister)
	rpc.Register(r, drover.MethodNodeUpdateStatus, s.nodeUpdateStatus)
	rpc.Register(r, drover.MethodNodeGetClientAllocs, s.nodeGetClientAllocs)
	rpc.Register(r, drover.MethodNodeUpdateAlloc, s.nodeUpdateAlloc)
	rpc.Register(r, drover.MethodNodeList, s.nodeList)
	rpc.Register(r, drover.MethodNodeGetNode, s.nodeGetNode)
	rpc.Register(r, drover.MethodNodeGetAllocs, s.nodeGetAllocs)
	rpc.Register(r, drover.MethodNodeUpdateDrain, s.nodeUpdateDrain)
	rpc.Register(r, drover.MethodNodeUpdateEligibility, s.nodeUpdateEligibility)

	rpc.Register(r, drover.MethodOperatorSchedulerGetConfiguration, s.operatorSchedulerGetConfiguration)
	rpc.Register(r, drover.MethodOperatorSchedulerSetConfiguration, s.operatorSchedulerSetConfiguration)
}

// leaderWait bounds how long a write waits for a leader to be elected.
const leaderWait = 5 * time.Second

// forward sends a write to the leader when this server is not it. handled
// reports whether it did (err is then the call's result); false means this
// server leads and must serve the write itself.
func (s *Server) forward(ctx context.Context, method string, args, reply any) (handled bool, err error) {
	deadline := time.Now().Add(leaderWait)
	wait := 5 * time.Millisecond
	for {
		if s.raft.IsLeader() {
			return false, nil
		}
		var err error
		if leader := s.raft.Leader(); leader != "" {
			err = s.rpcClient.RPCTo(ctx, leader, method, args, reply)
			// A leader that just lost leadership (or can't be reached) is
			// retried while a new one is elected.
			if !errors.Is(err, drover.ErrNoLeader) && !errors.Is(err, drover.ErrUnavailable) {
				return true, err
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return true, err
			}
			return true, drover.Errorf(drover.ErrNoLeader, "%s: no cluster leader", method)
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-s.ctx.Done():
			return true, drover.Errorf(drover.ErrUnavailable, "%s: server shutting down", method)
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// queryFunc runs a read against st, registering what it read in ws, fills
// the reply and returns the index of the result.
type queryFunc func(ws memdb.WatchSet, st *state.StateStore) (uint64, error)

// blockingQuery runs run once, or, when opts.MinQueryIndex is set, until the
// result's index passes it or the wait (opts.MaxQueryTime, capped by the
// server's MaxQueryTime and jittered) runs out; the last result stands.
// Cancelling ctx ends the wait with ctx's error. A state store replaced by a
// snapshot restore wakes the query, which re-reads from the new one.
func (s *Server) blockingQuery(ctx context.Context, opts *drover.QueryOptions, meta *drover.QueryMeta, run queryFunc) error {
	waitCtx := ctx
	if opts.MinQueryIndex > 0 {
		wait := opts.MaxQueryTime
		if wait <= 0 || wait > s.cfg.MaxQueryTime {
			wait = s.cfg.MaxQueryTime
		}
		wait += rand.N(wait/16 + 1)
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	for {
		st := s.State()
		ws := memdb.NewWatchSet()
		ws.Add(st.AbandonCh())
		ws.Add(s.ctx.Done())
		index, err := run(ws, st)
		if err != nil {
			return err
		}
		s.setQueryMeta(meta, index)
		if opts.MinQueryIndex == 0 || index > opts.MinQueryIndex {
			return nil
		}
		if err := ws.WatchCtx(waitCtx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return nil // the wait ran out: answer with what we have
		}
		if s.ctx.Err() != nil {
			return drover.Errorf(drover.ErrUnavailable, "server shutting down")
		}
	}
}

// setQueryMeta fills meta for a result at index (at least 1, so a client
// blocking on it never spins on 0).
func (s *Server) setQueryMeta(meta *drover.QueryMeta, index uint64) {
	meta.Index = max(index, 1)
	meta.KnownLeader = s.raft.Leader() != ""
	if s.raft.IsLeader() {
		meta.LastContact = 0
	} else if lc := s.raft.Raft().LastContact(); !lc.IsZero() {
		meta.LastContact = time.Since(lc)
	}
}

// tableIndex returns the highest index of the named tables.
func tableIndex(st *state.StateStore, tables ...string) (uint64, error) {
	var out uint64
	for _, t := range tables {
		i, err := st.Index(t)
		if err != nil {
			return 0, err
		}
		out = max(out, i)
	}
	return out, nil
}

// namespaceOf returns ns or the default namespace.
func namespaceOf(ns string) string {
	if ns == "" {
		return drover.DefaultNamespace
	}
	return ns
}

// shuttingDown returns an ErrUnavailable error once Shutdown began.
func (s *Server) shuttingDown() error {
	if s.ctx.Err() != nil {
		return drover.Errorf(drover.ErrUnavailable, "server shutting down")
	}
	return nil
}

// statusLeader answers the leader's RPC address.
func (s *Server) statusLeader(ctx context.Context, args *drover.GenericRequest, reply *string) error {
	*reply = s.Leader()
	return nil
}

// statusPing answers, proving the server is up.
func (s *Server) statusPing(ctx context.Context, args *drover.GenericRequest, reply *drover.GenericResponse) error {
	return s.shuttingDown()
}
