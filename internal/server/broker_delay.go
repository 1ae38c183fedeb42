package server

import (
	"container/heap"
	"time"

	"github.com/drover-sh/drover"
)

// delayed holds evaluations whose WaitUntil is in the future (follow-ups
// that reschedule failed allocations). One timer, set for the earliest,
// moves each into the broker's ready or waiting queues when it is due.
type delayed struct {
	heap  delayHeap
	timer *time.Timer
}

// delayEval holds eval until its WaitUntil if that is in the future, and
// reports whether it did. Called with b.mu held.
func (b *EvalBroker) delayEval(eval *drover.Evaluation) bool {
	if eval.WaitUntil.IsZero() || !eval.WaitUntil.After(time.Now()) {
		return false
	}
	heap.Push(&b.delay.heap, eval)
	b.armDelay()
	return true
}

// armDelay sets the timer for the earliest delayed eval. Called with b.mu
// held.
func (b *EvalBroker) armDelay() {
	if b.delay.timer != nil {
		b.delay.timer.Stop()
		b.delay.timer = nil
	}
	if len(b.delay.heap) == 0 {
		return
	}
	d := time.Until(b.delay.heap[0].WaitUntil)
	b.delay.timer = time.AfterFunc(max(d, 0), b.releaseDelayed)
}

// releaseDelayed moves every due eval to the queues and re-arms the timer.
func (b *EvalBroker) releaseDelayed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return
	}
	now := time.Now()
	for len(b.delay.heap) > 0 && !b.delay.heap[0].WaitUntil.After(now) {
		eval := heap.Pop(&b.delay.heap).(*drover.Evaluation)
		if b.known[eval.ID] {
			b.place(eval)
		}
	}
	b.armDelay()
}

// stopDelay drops every delayed eval. Called with b.mu held.
func (b *EvalBroker) stopDelay() {
	if b.delay.timer != nil {
		b.delay.timer.Stop()
	}
	b.delay = delayed{}
}

// delayHeap orders evaluations by WaitUntil, earliest first.
type delayHeap []*drover.Evaluation

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].WaitUntil.Before(h[j].WaitUntil) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(*drover.Evaluation)) }
func (h *delayHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
