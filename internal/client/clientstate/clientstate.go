// Package clientstate is the client agent's local memory of what it runs:
// allocations, each task's driver handle and its TaskState. It lets a
// restarted agent reattach to tasks that kept running. Two implementations
// share one interface: Bolt (a bbolt file in the client's data directory,
// with each task's handle also in a file of its own, which outlives the
// bbolt file's loss) and Memory (dev mode).
package clientstate

import (
	"sort"
	"sync"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/driver"
)

// State stores the client's allocations and task records. Implementations
// are safe for concurrent use. Values are copied in and out: a caller may
// keep modifying what it passed.
type State interface {
	// PutAlloc records the allocation (as the servers sent it).
	PutAlloc(alloc *drover.Allocation) error
	// Allocs returns every recorded allocation.
	Allocs() ([]*drover.Allocation, error)
	// DeleteAlloc forgets the allocation and all its task records.
	DeleteAlloc(allocID string) error
	// PutTaskHandle records a task's driver handle; nil deletes it.
	PutTaskHandle(allocID, task string, h *driver.TaskHandle) error
	// TaskHandle returns a task's handle, nil when none is recorded.
	TaskHandle(allocID, task string) (*driver.TaskHandle, error)
	// PutTaskState records a task's state.
	PutTaskState(allocID, task string, s *drover.TaskState) error
	// TaskState returns a task's state, nil when none is recorded.
	TaskState(allocID, task string) (*drover.TaskState, error)
	// HandleRecords returns every recorded task handle with its allocation
	// and task. Bolt keeps these apart from its state file, so they outlive
	// its loss: they tell a restarted client which processes still belong
	// to which allocation.
	HandleRecords() ([]*HandleRecord, error)
	// Close releases the store.
	Close() error
}

// Memory is a State held in memory, for dev agents and tests.
type Memory struct {
	mu      sync.Mutex
	allocs  map[string][]byte
	handles map[[2]string][]byte
	states  map[[2]string][]byte
}

var _ State = (*Memory)(nil)

// NewMemory returns an empty in-memory state.
func NewMemory() *Memory {
	return &Memory{allocs: map[string][]byte{}, handles: map[[2]string][]byte{}, states: map[[2]string][]byte{}}
}

// PutAlloc implements State.
func (m *Memory) PutAlloc(alloc *drover.Allocation) error {
	b, err := drover.EncodeMsgpack(alloc)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.allocs[alloc.ID] = b
	return nil
}

// Allocs implements State.
func (m *Memory) Allocs() ([]*drover.Allocation, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*drover.Allocation, 0, len(m.allocs))
	for _, b := range m.allocs {
		var a drover.Allocation
		if err := drover.DecodeMsgpack(b, &a); err != nil {
			return nil, err
		}
		out = append(out, &a)
	}
	return out, nil
}

// DeleteAlloc implements State.
func (m *Memory) DeleteAlloc(allocID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.allocs, allocID)
	for k := range m.handles {
		if k[0] == allocID {
			delete(m.handles, k)
		}
	}
	for k := range m.states {
		if k[0] == allocID {
			delete(m.states, k)
		}
	}
	return nil
}

// PutTaskHandle implements State.
func (m *Memory) PutTaskHandle(allocID, task string, h *driver.TaskHandle) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h == nil {
		delete(m.handles, [2]string{allocID, task})
		return nil
	}
	b, err := drover.EncodeMsgpack(h)
	if err != nil {
		return err
	}
	m.handles[[2]string{allocID, task}] = b
	return nil
}

// TaskHandle implements State.
func (m *Memory) TaskHandle(allocID, task string) (*driver.TaskHandle, error) {
	m.mu.Lock()
	b, ok := m.handles[[2]string{allocID, task}]
	m.mu.Unlock()
	if !ok {
		return nil, nil
	}
	var h driver.TaskHandle
	return &h, drover.DecodeMsgpack(b, &h)
}

// PutTaskState implements State.
func (m *Memory) PutTaskState(allocID, task string, s *drover.TaskState) error {
	b, err := drover.EncodeMsgpack(s)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[[2]string{allocID, task}] = b
	return nil
}

// TaskState implements State.
func (m *Memory) TaskState(allocID, task string) (*drover.TaskState, error) {
	m.mu.Lock()
	b, ok := m.states[[2]string{allocID, task}]
	m.mu.Unlock()
	if !ok {
		return nil, nil
	}
	var s drover.TaskState
	return &s, drover.DecodeMsgpack(b, &s)
}

// HandleRecords implements State.
func (m *Memory) HandleRecords() ([]*HandleRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*HandleRecord, 0, len(m.handles))
	for k, b := range m.handles {
		var h driver.TaskHandle
		if err := drover.DecodeMsgpack(b, &h); err != nil {
			return nil, err
		}
		out = append(out, &HandleRecord{AllocID: k[0], Task: k[1], Handle: &h})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AllocID != out[j].AllocID {
			return out[i].AllocID < out[j].AllocID
		}
		return out[i].Task < out[j].Task
	})
	return out, nil
}

// Close implements State.
func (m *Memory) Close() error { return nil }
