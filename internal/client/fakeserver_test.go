package client

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/drover-sh/drover"
)

// fakeServer stands in for the servers' internal RPC. Each method is a
// function field; newFakeServer fills them with a small in-memory server
// that tests override where they need a failure.
type fakeServer struct {
	Register        func(*drover.NodeRegisterRequest, *drover.NodeUpdateResponse) error
	UpdateStatus    func(*drover.NodeUpdateStatusRequest, *drover.NodeUpdateResponse) error
	GetClientAllocs func(context.Context, *drover.NodeSpecificRequest, *drover.NodeClientAllocsResponse) error
	GetAllocs       func(*drover.AllocsGetRequest, *drover.AllocsGetResponse) error
	UpdateAlloc     func(*drover.AllocUpdateRequest, *drover.GenericResponse) error
	ttl             time.Duration
	mu              sync.Mutex
	nodes           map[string]*drover.Node
	registers       int
	queries         int
	heartbeats      int
	allocs          map[string]*drover.Allocation
	index           uint64
	changed         chan struct{}
	batches         [][]*drover.Allocation
}

func newFakeServer() *fakeServer {
	s := &fakeServer{ttl: 200 * time.Millisecond, nodes: map[string]*drover.Node{},
		allocs: map[string]*drover.Allocation{}, index: 1, changed: make(chan struct{})}
	s.Register = func(req *drover.NodeRegisterRequest, resp *drover.NodeUpdateResponse) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.registers++
		s.nodes[req.Node.ID] = req.Node.Copy()
		resp.HeartbeatTTL = s.ttl
		return nil
	}
	s.UpdateStatus = func(req *drover.NodeUpdateStatusRequest, resp *drover.NodeUpdateResponse) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.nodes[req.NodeID] == nil {
			return drover.Errorf(drover.ErrNotFound, "node %s not found", req.NodeID)
		}
		s.heartbeats++
		resp.HeartbeatTTL = s.ttl
		return nil
	}
	s.GetClientAllocs = func(ctx context.Context, req *drover.NodeSpecificRequest, resp *drover.NodeClientAllocsResponse) error {
		s.mu.Lock()
		s.queries++
		s.mu.Unlock()
		timeout := time.NewTimer(req.MaxQueryTime)
		defer timeout.Stop()
		// answer fills in the node's allocations as of now, as the real
		// server does both when the index moves and when the wait runs out
		// (an answer without the list would tell the client to drop them).
		answer := func() {
			resp.Allocs = map[string]uint64{}
			for id, a := range s.allocs {
				if a.NodeID == req.NodeID {
					resp.Allocs[id] = a.AllocModifyIndex
				}
			}
			resp.Index = s.index
		}
		for {
			s.mu.Lock()
			idx, ch := s.index, s.changed
			if idx > req.MinQueryIndex {
				answer()
				s.mu.Unlock()
				return nil
			}
			s.mu.Unlock()
			select {
			case <-ch:
			case <-timeout.C:
				s.mu.Lock()
				answer()
				s.mu.Unlock()
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	s.GetAllocs = func(req *drover.AllocsGetRequest, resp *drover.AllocsGetResponse) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, id := range req.AllocIDs {
			if a := s.allocs[id]; a != nil {
				resp.Allocs = append(resp.Allocs, copyAlloc(a))
			}
		}
		resp.Index = s.index
		return nil
	}
	s.UpdateAlloc = func(req *drover.AllocUpdateRequest, resp *drover.GenericResponse) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		var batch []*drover.Allocation
		for _, u := range req.Alloc {
			batch = append(batch, copyAlloc(u))
			if a := s.allocs[u.ID]; a != nil {
				c := copyAlloc(a)
				c.ClientStatus, c.ClientDescription, c.TaskStates = u.ClientStatus, u.ClientDescription, u.TaskStates
				s.allocs[u.ID] = c
			}
		}
		s.batches = append(s.batches, batch)
		s.bumpLocked()
		return nil
	}
	return s
}

// bumpLocked advances the index and wakes blocking queries.
func (s *fakeServer) bumpLocked() uint64 {
	s.index++
	close(s.changed)
	s.changed = make(chan struct{})
	return s.index
}

// upsertAlloc places or changes an allocation as the scheduler would.
func (s *fakeServer) upsertAlloc(a *drover.Allocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a = copyAlloc(a)
	a.AllocModifyIndex = s.bumpLocked()
	s.allocs[a.ID] = a
}

func (s *fakeServer) deleteAlloc(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.allocs, id)
	s.bumpLocked()
}

func (s *fakeServer) alloc(id string) *drover.Allocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyAlloc(s.allocs[id])
}

func (s *fakeServer) counts() (registers, heartbeats, batches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registers, s.heartbeats, len(s.batches)
}

// statusesSent lists, in order, the distinct client statuses sent for an
// allocation, and how many batches carried it.
func (s *fakeServer) statusesSent(allocID string) (statuses []string, batches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.batches {
		for _, a := range b {
			if a.ID != allocID {
				continue
			}
			batches++
			if len(statuses) == 0 || statuses[len(statuses)-1] != a.ClientStatus {
				statuses = append(statuses, a.ClientStatus)
			}
		}
	}
	return statuses, batches
}

// RPC implements RPCer.
func (s *fakeServer) RPC(ctx context.Context, method string, args, reply any) error {
	switch method {
	case drover.MethodNodeRegister:
		return s.Register(args.(*drover.NodeRegisterRequest), reply.(*drover.NodeUpdateResponse))
	case drover.MethodNodeUpdateStatus:
		return s.UpdateStatus(args.(*drover.NodeUpdateStatusRequest), reply.(*drover.NodeUpdateResponse))
	case drover.MethodNodeGetClientAllocs:
		return s.GetClientAllocs(ctx, args.(*drover.NodeSpecificRequest), reply.(*drover.NodeClientAllocsResponse))
	case drover.MethodAllocGetAllocs:
		return s.GetAllocs(args.(*drover.AllocsGetRequest), reply.(*drover.AllocsGetResponse))
	case drover.MethodNodeUpdateAlloc:
		return s.UpdateAlloc(args.(*drover.AllocUpdateRequest), reply.(*drover.GenericResponse))
	}
	return fmt.Errorf("fake server: unknown method %s", method)
}

// copyAlloc deep-copies through msgpack into a fresh value (Allocation.Copy
// decodes into a shallow copy and so writes into the original's task
// states).
func copyAlloc(a *drover.Allocation) *drover.Allocation {
	if a == nil {
		return nil
	}
	b, err := drover.EncodeMsgpack(a)
	if err != nil {
		panic(err)
	}
	var c drover.Allocation
	if err := drover.DecodeMsgpack(b, &c); err != nil {
		panic(err)
	}
	return &c
}

func (s *fakeServer) queryCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}
