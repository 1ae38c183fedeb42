package server

import (
	"context"

	"github.com/hashicorp/go-memdb"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

func (s *Server) allocList(ctx context.Context, args *drover.AllocListRequest, reply *drover.AllocListResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		allocs, err := st.AllocsByIDPrefix(ws, args.Prefix)
		if err != nil {
			return 0, err
		}
		reply.Allocations = allocStubs(allocs)
		return tableIndex(st, state.TableAllocs)
	})
}

func (s *Server) allocGetAlloc(ctx context.Context, args *drover.AllocSpecificRequest, reply *drover.SingleAllocResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		a, err := st.AllocByID(ws, args.AllocID)
		if err != nil {
			return 0, err
		}
		reply.Alloc = a
		if a != nil {
			return a.ModifyIndex, nil
		}
		return tableIndex(st, state.TableAllocs)
	})
}

// allocGetAllocs reads several allocations; its index is the newest of
// theirs, so a client that learned of a change at index N can block until
// this server has it.
func (s *Server) allocGetAllocs(ctx context.Context, args *drover.AllocsGetRequest, reply *drover.AllocsGetResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		reply.Allocs = make([]*drover.Allocation, 0, len(args.AllocIDs))
		var index uint64
		for _, id := range args.AllocIDs {
			a, err := st.AllocByID(ws, id)
			if err != nil {
				return 0, err
			}
			if a != nil {
				reply.Allocs = append(reply.Allocs, a)
				index = max(index, a.ModifyIndex)
			}
		}
		if index == 0 {
			return tableIndex(st, state.TableAllocs)
		}
		return index, nil
	})
}

func (s *Server) evalList(ctx context.Context, args *drover.EvalListRequest, reply *drover.EvalListResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		evals, err := st.EvalsByIDPrefix(ws, args.Prefix)
		if err != nil {
			return 0, err
		}
		reply.Evaluations = evals
		return tableIndex(st, state.TableEvals)
	})
}

func (s *Server) evalGetEval(ctx context.Context, args *drover.EvalSpecificRequest, reply *drover.SingleEvalResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		e, err := st.EvalByID(ws, args.EvalID)
		if err != nil {
			return 0, err
		}
		reply.Eval = e
		if e != nil {
			return e.ModifyIndex, nil
		}
		return tableIndex(st, state.TableEvals)
	})
}

func (s *Server) nodeList(ctx context.Context, args *drover.NodeListRequest, reply *drover.NodeListResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		nodes, err := st.NodesByIDPrefix(ws, args.Prefix)
		if err != nil {
			return 0, err
		}
		reply.Nodes = make([]*drover.NodeListStub, 0, len(nodes))
		for _, n := range nodes {
			reply.Nodes = append(reply.Nodes, n.StubFields(args.Fields))
		}
		return tableIndex(st, state.TableNodes)
	})
}

// nodeGetNode reads one node; its SecretID is never returned.
func (s *Server) nodeGetNode(ctx context.Context, args *drover.NodeSpecificRequest, reply *drover.SingleNodeResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		n, err := st.NodeByID(ws, args.NodeID)
		if err != nil {
			return 0, err
		}
		reply.Node = nil
		if n != nil {
			c := *n
			c.SecretID = ""
			reply.Node = &c
			return n.ModifyIndex, nil
		}
		return tableIndex(st, state.TableNodes)
	})
}

func (s *Server) nodeGetAllocs(ctx context.Context, args *drover.NodeSpecificRequest, reply *drover.NodeAllocsResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		allocs, err := st.AllocsByNode(ws, args.NodeID)
		if err != nil {
			return 0, err
		}
		reply.Allocs = allocs
		return tableIndex(st, state.TableAllocs)
	})
}

// nodeGetClientAllocs maps the node's allocations to their AllocModifyIndex.
// Its index is the newest ModifyIndex among them (the allocs table index when
// there are none), so the client's blocking query wakes only for its own.
func (s *Server) nodeGetClientAllocs(ctx context.Context, args *drover.NodeSpecificRequest, reply *drover.NodeClientAllocsResponse) error {
	return s.blockingQuery(ctx, &args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		allocs, err := st.AllocsByNode(ws, args.NodeID)
		if err != nil {
			return 0, err
		}
		reply.Allocs = make(map[string]uint64, len(allocs))
		var index uint64
		for _, a := range allocs {
			reply.Allocs[a.ID] = a.AllocModifyIndex
			index = max(index, a.ModifyIndex)
		}
		if index == 0 {
			return tableIndex(st, state.TableAllocs)
		}
		return index, nil
	})
}
