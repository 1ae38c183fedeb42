package server

import (
	"slices"
	"sync"

	"github.com/drover-sh/drover"
)

// BlockedEvals tracks, per job, the newest evaluation that is blocked for
// lack of capacity, and releases them when capacity may have appeared. It
// only decides; the server's blocked loop writes the resulting status
// changes through Raft (hooks that feed it run on Raft's apply goroutine and
// must not write).
//
// At most one blocked evaluation per job is kept: an older one, or one
// superseded by a new pending evaluation of its job (which plans the whole
// job anyway), is queued for cancellation.
//
// A blocked evaluation of a system job names the nodes that lacked
// resources (Evaluation.BlockedNodes): only capacity freed on one of them
// releases it, so on a busy cluster a system job is not re-planned every
// time any allocation anywhere finishes.
type BlockedEvals struct {
	mu      sync.Mutex
	enabled bool
	byJob   map[jobKey]*drover.Evaluation
	// capacityIndex is the state index of the last capacity change of
	// unknown place; nodeCapacity the last one per node. An eval blocked
	// from an older snapshot may have missed them.
	capacityIndex uint64
	nodeCapacity  map[string]uint64
	// anyNodeCapacity is the newest of nodeCapacity.
	anyNodeCapacity uint64
	unblock         []*drover.Evaluation // to set pending
	cancel          []*drover.Evaluation // to set canceled
	wake            chan struct{}        // capacity 1: work queued
}

// NewBlockedEvals returns a disabled tracker.
func NewBlockedEvals() *BlockedEvals {
	return &BlockedEvals{byJob: map[jobKey]*drover.Evaluation{}, nodeCapacity: map[string]uint64{}, wake: make(chan struct{}, 1)}
}

// SetEnabled turns tracking on (leadership gained) or off (lost, which
// forgets everything).
func (b *BlockedEvals) SetEnabled(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = on
	if !on {
		b.byJob = map[jobKey]*drover.Evaluation{}
		b.unblock, b.cancel = nil, nil
		b.capacityIndex = 0
		b.nodeCapacity, b.anyNodeCapacity = map[string]uint64{}, 0
	}
}

// Block tracks a blocked evaluation. If capacity changed after the state the
// evaluation was planned from (SnapshotIndex), it is released at once.
func (b *BlockedEvals) Block(eval *drover.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return
	}
	k := evalJob(eval)
	if old := b.byJob[k]; old != nil {
		if old.ID == eval.ID {
			return
		}
		if old.CreateIndex > eval.CreateIndex {
			b.cancel = append(b.cancel, eval)
			b.signal()
			return
		}
		b.cancel = append(b.cancel, old)
	}
	if b.missedCapacity(eval) {
		delete(b.byJob, k)
		b.unblock = append(b.unblock, eval)
	} else {
		b.byJob[k] = eval
	}
	b.signal()
}

// missedCapacity reports whether capacity that eval waits for changed
// after the state it was planned from.
func (b *BlockedEvals) missedCapacity(eval *drover.Evaluation) bool {
	if eval.SnapshotIndex < b.capacityIndex {
		return true
	}
	if len(eval.BlockedNodes) == 0 {
		return eval.SnapshotIndex < b.anyNodeCapacity
	}
	for _, n := range eval.BlockedNodes {
		if eval.SnapshotIndex < b.nodeCapacity[n] {
			return true
		}
	}
	return false
}

// Supersede is told of a pending evaluation: the job's blocked evaluation,
// if another, is cancelled since the pending one plans the whole job.
func (b *BlockedEvals) Supersede(eval *drover.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := evalJob(eval)
	old := b.byJob[k]
	if !b.enabled || old == nil {
		return
	}
	delete(b.byJob, k)
	if old.ID != eval.ID {
		b.cancel = append(b.cancel, old)
		b.signal()
	}
}

// Untrack forgets evalID (it became terminal elsewhere).
func (b *BlockedEvals) Untrack(eval *drover.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := evalJob(eval)
	if old := b.byJob[k]; old != nil && old.ID == eval.ID {
		delete(b.byJob, k)
	}
}

// CapacityChanged releases the tracked evaluations that capacity freed on
// nodeID may help: every one, except a system job's blocked on other nodes.
// nodeID "" means the place is unknown and releases them all. index is the
// state index at which capacity changed.
func (b *BlockedEvals) CapacityChanged(index uint64, nodeID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return
	}
	if nodeID == "" {
		b.capacityIndex = max(b.capacityIndex, index)
	} else {
		b.nodeCapacity[nodeID] = max(b.nodeCapacity[nodeID], index)
		b.anyNodeCapacity = max(b.anyNodeCapacity, index)
	}
	released := false
	for k, e := range b.byJob {
		if nodeID != "" && len(e.BlockedNodes) > 0 && !slices.Contains(e.BlockedNodes, nodeID) {
			continue
		}
		b.unblock = append(b.unblock, e)
		delete(b.byJob, k)
		released = true
	}
	if released {
		b.signal()
	}
}

// Wake is signalled when Take has work.
func (b *BlockedEvals) Wake() <-chan struct{} { return b.wake }

// Take returns and clears the evaluations to unblock and to cancel.
func (b *BlockedEvals) Take() (unblock, cancel []*drover.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	unblock, cancel = b.unblock, b.cancel
	b.unblock, b.cancel = nil, nil
	return unblock, cancel
}

// Tracked returns the number of blocked evaluations tracked.
func (b *BlockedEvals) Tracked() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byJob)
}

func (b *BlockedEvals) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
