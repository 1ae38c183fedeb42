package server

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/drover-sh/drover"
)

// jobKey names a job across namespaces.
type jobKey struct{ namespace, id string }

func evalJob(e *drover.Evaluation) jobKey { return jobKey{e.Namespace, e.JobID} }

// EvalBroker hands pending evaluations to scheduler workers. Evaluations wait
// by scheduler type in priority order (higher first, then first in first
// out). At most one evaluation per job is outstanding (ready or being
// processed); later ones for the job wait behind it. A dequeued evaluation
// must be Acked or Nacked; one not acked within the nack timeout is nacked
// for the worker, and one delivered DeliveryLimit times is handed to the
// failed callback instead of being delivered again.
//
// The broker is live only on the leader: while disabled it drops what it is
// given and Dequeue waits.
type EvalBroker struct {
	nackTimeout   time.Duration
	deliveryLimit int
	// failed is called (on its own goroutine) with an evaluation that
	// reached the delivery limit; the server marks it failed.
	failed func(*drover.Evaluation)

	mu       sync.Mutex
	enabled  bool
	paused   bool // the operator paused delivery; evaluations are still held
	seq      uint64
	ready    map[string]*evalHeap // by scheduler type
	waiting  map[jobKey]*evalHeap // behind the job's outstanding eval
	jobEval  map[jobKey]string    // the job's outstanding eval ID
	unacked  map[string]*unacked  // by eval ID
	known    map[string]bool      // every eval ID held, in any place
	attempts map[string]int       // deliveries so far, by eval ID
	notify   chan struct{}        // closed when an eval becomes ready
	delay    delayed              // evals waiting for their WaitUntil
}

type unacked struct {
	eval  *drover.Evaluation
	token string
	timer *time.Timer
}

// NewEvalBroker returns a disabled broker.
func NewEvalBroker(nackTimeout time.Duration, deliveryLimit int, failed func(*drover.Evaluation)) *EvalBroker {
	if nackTimeout <= 0 {
		nackTimeout = time.Minute
	}
	if deliveryLimit <= 0 {
		deliveryLimit = 3
	}
	b := &EvalBroker{nackTimeout: nackTimeout, deliveryLimit: deliveryLimit, failed: failed}
	b.reset()
	return b
}

func (b *EvalBroker) reset() {
	b.stopDelay()
	for _, u := range b.unacked {
		u.timer.Stop()
	}
	b.ready = map[string]*evalHeap{}
	b.waiting = map[jobKey]*evalHeap{}
	b.jobEval = map[jobKey]string{}
	b.unacked = map[string]*unacked{}
	b.known = map[string]bool{}
	b.attempts = map[string]int{}
	b.notify = make(chan struct{})
}

// SetEnabled turns the broker on (leadership gained) or off (lost); turning
// it off drops every evaluation it holds.
func (b *EvalBroker) SetEnabled(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.enabled == on {
		return
	}
	b.enabled = on
	if !on {
		b.reset()
	}
}

// SetPaused stops (true) or resumes (false) handing evaluations to workers,
// as the scheduler configuration's PauseEvalBroker asks. A paused broker
// keeps accepting and holding evaluations; resuming delivers them.
func (b *EvalBroker) SetPaused(paused bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.paused == paused {
		return
	}
	b.paused = paused
	if !paused {
		close(b.notify) // wake waiting workers
		b.notify = make(chan struct{})
	}
}

// Enabled reports whether the broker is live.
func (b *EvalBroker) Enabled() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.enabled
}

// Enqueue adds a pending evaluation. One already held (by ID) is ignored, so
// the same evaluation seen twice is delivered once. One whose WaitUntil is in
// the future is held until then (a timer, see broker_delay.go).
func (b *EvalBroker) Enqueue(eval *drover.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled || b.known[eval.ID] {
		return
	}
	b.known[eval.ID] = true
	if b.delayEval(eval) {
		return
	}
	b.place(eval)
}

// place puts a held eval in the job's slot if free, else behind it.
func (b *EvalBroker) place(eval *drover.Evaluation) {
	b.seq++
	item := &heapItem{eval: eval, seq: b.seq}
	k := evalJob(eval)
	if cur, busy := b.jobEval[k]; busy && cur != eval.ID {
		h := b.waiting[k]
		if h == nil {
			h = &evalHeap{}
			b.waiting[k] = h
		}
		heap.Push(h, item)
		return
	}
	b.jobEval[k] = eval.ID
	b.pushReady(item)
}

func (b *EvalBroker) pushReady(item *heapItem) {
	h := b.ready[item.eval.Type]
	if h == nil {
		h = &evalHeap{}
		b.ready[item.eval.Type] = h
	}
	heap.Push(h, item)
	close(b.notify)
	b.notify = make(chan struct{})
}

// Dequeue returns the highest-priority ready evaluation of one of types and
// the token that acks it, waiting up to timeout (0: no limit) or until ctx
// ends. It returns a nil evaluation when nothing came in time.
func (b *EvalBroker) Dequeue(ctx context.Context, types []string, timeout time.Duration) (*drover.Evaluation, string, error) {
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	for {
		b.mu.Lock()
		if b.enabled && !b.paused {
			if eval, token := b.take(types); eval != nil {
				b.mu.Unlock()
				return eval, token, nil
			}
		}
		notify := b.notify
		b.mu.Unlock()
		select {
		case <-notify:
		case <-expire:
			return nil, "", nil
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
}

// take pops the best ready eval of types and marks it unacked.
func (b *EvalBroker) take(types []string) (*drover.Evaluation, string) {
	var best *evalHeap
	for _, t := range types {
		h := b.ready[t]
		if h == nil || h.Len() == 0 {
			continue
		}
		if best == nil || (*h)[0].before((*best)[0]) {
			best = h
		}
	}
	if best == nil {
		return nil, ""
	}
	eval := heap.Pop(best).(*heapItem).eval
	token := drover.GenerateID()
	b.attempts[eval.ID]++
	id := eval.ID
	b.unacked[id] = &unacked{eval: eval, token: token, timer: time.AfterFunc(b.nackTimeout, func() {
		_ = b.Nack(id, token)
	})}
	return eval, token
}

// Outstanding reports whether evalID is dequeued under token and not yet
// acked or nacked.
func (b *EvalBroker) Outstanding(evalID, token string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	u := b.unacked[evalID]
	return u != nil && u.token == token
}

// Ack completes a dequeued evaluation; the job's next waiting evaluation
// becomes ready.
func (b *EvalBroker) Ack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.claim(evalID, token)
	if err != nil {
		return err
	}
	b.release(u.eval)
	return nil
}

// Nack returns a dequeued evaluation for redelivery, or, once it was
// delivered DeliveryLimit times, hands it to the failed callback.
func (b *EvalBroker) Nack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.claim(evalID, token)
	if err != nil {
		return err
	}
	if b.attempts[evalID] >= b.deliveryLimit {
		b.release(u.eval)
		if b.failed != nil {
			go b.failed(u.eval)
		}
		return nil
	}
	b.seq++
	b.pushReady(&heapItem{eval: u.eval, seq: b.seq})
	return nil
}

// claim removes evalID from the unacked set if token matches.
func (b *EvalBroker) claim(evalID, token string) (*unacked, error) {
	u := b.unacked[evalID]
	if u == nil {
		return nil, drover.Errorf(drover.ErrNotFound, "evaluation %s is not outstanding", evalID)
	}
	if u.token != token {
		return nil, drover.Errorf(drover.ErrConflict, "evaluation %s: token does not match", evalID)
	}
	u.timer.Stop()
	delete(b.unacked, evalID)
	return u, nil
}

// release forgets eval and frees its job's slot for the next waiting eval.
func (b *EvalBroker) release(eval *drover.Evaluation) {
	delete(b.known, eval.ID)
	delete(b.attempts, eval.ID)
	k := evalJob(eval)
	if b.jobEval[k] == eval.ID {
		delete(b.jobEval, k)
	}
	h := b.waiting[k]
	if h == nil || h.Len() == 0 {
		return
	}
	next := heap.Pop(h).(*heapItem)
	if h.Len() == 0 {
		delete(b.waiting, k)
	}
	b.jobEval[k] = next.eval.ID
	b.pushReady(next)
}

// BrokerStats counts what the broker holds.
type BrokerStats struct {
	Ready, Unacked, Waiting int
	// Delayed counts evaluations held until their WaitUntil.
	Delayed int
}

// Stats returns the current counts.
func (b *EvalBroker) Stats() BrokerStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s BrokerStats
	for _, h := range b.ready {
		s.Ready += h.Len()
	}
	for _, h := range b.waiting {
		s.Waiting += h.Len()
	}
	s.Unacked = len(b.unacked)
	s.Delayed = len(b.delay.heap)
	return s
}

type heapItem struct {
	eval *drover.Evaluation
	seq  uint64
}

func (a *heapItem) before(b *heapItem) bool {
	if a.eval.Priority != b.eval.Priority {
		return a.eval.Priority > b.eval.Priority
	}
	return a.seq < b.seq
}

// evalHeap orders evaluations by priority, then arrival.
type evalHeap []*heapItem

func (h evalHeap) Len() int           { return len(h) }
func (h evalHeap) Less(i, j int) bool { return h[i].before(h[j]) }
func (h evalHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *evalHeap) Push(x any)        { *h = append(*h, x.(*heapItem)) }
func (h *evalHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}
