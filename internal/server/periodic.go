package server

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/state"
)

// periodicRetry is how soon a launch that failed is tried again.
const periodicRetry = 5 * time.Second

// launchFunc registers a periodic job's child for launch time at together
// with the launch record (one Raft command); errLaunched says the child
// existed already.
type launchFunc func(ctx context.Context, parent *drover.Job, at time.Time) (evalID string, index uint64, err error)

// periodicDispatcher is the leader duty that launches the children of
// periodic jobs on their schedule. It tracks every active periodic job
// (see drover.Job.IsPeriodicActive) in a heap ordered by next launch. The
// next launch follows the job's recorded PeriodicLaunch when leadership is
// gained, so a new leader neither repeats the last launch nor skips the
// next one; a backlog of missed launches becomes one launch, now.
//
// All work happens in tick, which the run loop calls when the first launch
// is due or a job changed; tests call tick directly with a fake clock.
type periodicDispatcher struct {
	state  func() *state.StateStore
	launch launchFunc
	now    func() time.Time
	logger *slog.Logger

	tickMu sync.Mutex // serializes ticks; never held with mu while launching

	mu      sync.Mutex
	enabled bool
	entries map[jobKey]*periodicEntry
	queue   periodicQueue
	dirty   map[jobKey]bool // changed jobs not yet read back
	wake    chan struct{}
}

// periodicEntry is one tracked job and its next launch.
type periodicEntry struct {
	key  jobKey
	job  *drover.Job
	next time.Time
	pos  int // index in the queue, -1 when not queued
}

func newPeriodicDispatcher(st func() *state.StateStore, launch launchFunc, now func() time.Time, logger *slog.Logger) *periodicDispatcher {
	return &periodicDispatcher{
		state: st, launch: launch, now: now, logger: logger,
		entries: map[jobKey]*periodicEntry{}, dirty: map[jobKey]bool{},
		wake: make(chan struct{}, 1),
	}
}

// now is the server's clock (Config.Now).
func (s *Server) now() time.Time { return s.cfg.Clock.Now() }

// start enables the dispatcher and rebuilds what it tracks from state.
func (d *periodicDispatcher) start() error {
	d.mu.Lock()
	d.enabled = true
	d.mu.Unlock()
	return d.restore()
}

// stop disables the dispatcher and forgets every tracked job.
func (d *periodicDispatcher) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.enabled = false
	d.entries, d.queue, d.dirty = map[jobKey]*periodicEntry{}, nil, map[jobKey]bool{}
}

// restore tracks every active periodic job in state, each from its
// recorded launch (from now when it never launched).
func (d *periodicDispatcher) restore() error {
	st := d.state()
	jobs, err := st.JobsByIDPrefix(nil, state.AllNamespaces, "")
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if !j.IsPeriodicActive() {
			continue
		}
		from := d.now()
		launch, err := st.PeriodicLaunchByID(nil, j.Namespace, j.ID)
		if err != nil {
			return err
		}
		if launch != nil {
			from = launch.Launch
		}
		d.track(j, from)
	}
	d.poke()
	return nil
}

// jobChanged is told (by the FSM hook) that a job was written or removed;
// the next tick reads it back. It does not block.
func (d *periodicDispatcher) jobChanged(namespace, id string) {
	d.mu.Lock()
	if d.enabled {
		d.dirty[jobKey{namespace, id}] = true
	}
	d.mu.Unlock()
	d.poke()
}

func (d *periodicDispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// track (re)schedules job's next launch after from; a job that never fires
// again is not queued.
func (d *periodicDispatcher) track(job *drover.Job, from time.Time) {
	next, err := job.Periodic.Next(from)
	if err != nil {
		d.logger.Error("periodic job has an invalid schedule", "job_id", job.ID, "error", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.enabled {
		return
	}
	k := jobKey{job.Namespace, job.ID}
	e := d.entries[k]
	if e == nil {
		e = &periodicEntry{key: k, pos: -1}
		d.entries[k] = e
	}
	e.job, e.next = job, next
	d.requeue(e)
}

// untrack forgets a job.
func (d *periodicDispatcher) untrack(k jobKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.entries[k]; e != nil {
		if e.pos >= 0 {
			heap.Remove(&d.queue, e.pos)
		}
		delete(d.entries, k)
	}
}

// requeue puts e in the queue at its next launch (out of it when zero).
// mu must be held.
func (d *periodicDispatcher) requeue(e *periodicEntry) {
	switch {
	case e.next.IsZero() && e.pos >= 0:
		heap.Remove(&d.queue, e.pos)
	case e.next.IsZero():
	case e.pos >= 0:
		heap.Fix(&d.queue, e.pos)
	default:
		heap.Push(&d.queue, e)
	}
}

// tracked returns the next launch of a tracked job, and whether it is
// tracked.
func (d *periodicDispatcher) tracked(namespace, id string) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entries[jobKey{namespace, id}]
	if e == nil {
		return time.Time{}, false
	}
	return e.next, true
}

// run calls tick whenever the first launch is due or a job changed, until
// ctx ends.
func (d *periodicDispatcher) run(ctx context.Context) {
	for {
		next := d.tick(ctx)
		var due <-chan time.Time
		var timer *time.Timer
		if !next.IsZero() {
			timer = time.NewTimer(max(next.Sub(d.now()), 0))
			due = timer.C
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-due:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// tick reads back changed jobs, launches every child that is due, and
// returns the next launch time (zero when none is queued).
func (d *periodicDispatcher) tick(ctx context.Context) time.Time {
	d.tickMu.Lock()
	defer d.tickMu.Unlock()
	d.readChanged()
	for ctx.Err() == nil {
		e := d.popDue()
		if e == nil {
			break
		}
		d.launchDue(ctx, e)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return time.Time{}
	}
	return d.queue[0].next
}

// readChanged tracks, reschedules or forgets each job written since the
// last tick. A changed job's next launch is computed from now, as a new
// registration's.
func (d *periodicDispatcher) readChanged() {
	d.mu.Lock()
	dirty := d.dirty
	d.dirty = map[jobKey]bool{}
	d.mu.Unlock()
	st := d.state()
	for k := range dirty {
		job, err := st.JobByID(nil, k.namespace, k.id)
		if err != nil {
			d.logger.Error("reading changed periodic job", "job_id", k.id, "error", err)
			continue
		}
		if job == nil || !job.IsPeriodicActive() {
			d.untrack(k)
			continue
		}
		if _, ok := d.tracked(k.namespace, k.id); ok && !d.specChanged(k, job) {
			continue // a write that left the schedule alone keeps it
		}
		d.track(job, d.now())
	}
}

// specChanged reports whether job's registered spec differs from the
// tracked one's.
func (d *periodicDispatcher) specChanged(k jobKey, job *drover.Job) bool {
	d.mu.Lock()
	e := d.entries[k]
	d.mu.Unlock()
	return e == nil || e.job.JobModifyIndex != job.JobModifyIndex
}

// popDue takes the first queued entry if its launch is due, out of the
// queue; nil when none is.
func (d *periodicDispatcher) popDue() *periodicEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 || d.queue[0].next.After(d.now()) {
		return nil
	}
	return heap.Pop(&d.queue).(*periodicEntry)
}

// launchDue launches e's child unless prohibit_overlap holds it back, and
// queues e's next launch. A backlog of missed launches (the one after e's
// is already due) becomes a single launch at now.
func (d *periodicDispatcher) launchDue(ctx context.Context, e *periodicEntry) {
	now := d.now()
	job, err := d.state().JobByID(nil, e.key.namespace, e.key.id)
	if err != nil || job == nil || !job.IsPeriodicActive() {
		d.untrack(e.key)
		return
	}
	at := e.next
	if after, err := job.Periodic.Next(at); err == nil && !after.IsZero() && !after.After(now) {
		at = now
	}
	skip, err := d.overlaps(job)
	switch {
	case err != nil:
		d.logger.Error("periodic launch: reading children", "job_id", job.ID, "error", err)
		d.retry(job, now)
		return
	case skip:
		d.logger.Info("periodic launch skipped: a previous child is still running and the job prohibits overlap",
			"job_id", job.ID, "launch", at)
	default:
		_, _, err := d.launch(ctx, job, at)
		if err != nil && !errors.Is(err, errLaunched) {
			d.logger.Error("periodic launch failed", "job_id", job.ID, "launch", at, "error", err)
			d.retry(job, now)
			return
		}
	}
	d.track(job, maxTime(at, now))
}

// retry queues job's launch again shortly after a failure.
func (d *periodicDispatcher) retry(job *drover.Job, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.entries[jobKey{job.Namespace, job.ID}]; e != nil && d.enabled {
		e.job, e.next = job, now.Add(periodicRetry)
		d.requeue(e)
	}
}

// overlaps reports whether job prohibits overlap and a child of it is not
// dead yet.
func (d *periodicDispatcher) overlaps(job *drover.Job) (bool, error) {
	if !job.Periodic.ProhibitOverlap {
		return false, nil
	}
	children, err := d.state().ChildJobs(nil, job.Namespace, job.ID)
	if err != nil {
		return false, err
	}
	for _, c := range children {
		if c.Status != drover.JobStatusDead {
			return true, nil
		}
	}
	return false, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// periodicQueue is a heap of entries by next launch.
type periodicQueue []*periodicEntry

func (q periodicQueue) Len() int           { return len(q) }
func (q periodicQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q periodicQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].pos, q[j].pos = i, j
}

func (q *periodicQueue) Push(x any) {
	e := x.(*periodicEntry)
	e.pos = len(*q)
	*q = append(*q, e)
}

func (q *periodicQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	e.pos = -1
	return e
}
