package driver

import (
	"context"
	"sync"
	"time"
)

// ExitState records, once, how a task ended, for drivers that watch their
// tasks themselves. Embed it in the driver's task record; the zero value is
// ready to use and safe for concurrent use.
type ExitState struct {
	initOnce   sync.Once
	done       chan struct{}
	finishOnce sync.Once

	mu          sync.Mutex
	result      *ExitResult
	completedAt time.Time
}

func (e *ExitState) doneCh() chan struct{} {
	e.initOnce.Do(func() { e.done = make(chan struct{}) })
	return e.done
}

// Finish records the task's exit and closes Done. Only the first call
// counts.
func (e *ExitState) Finish(res *ExitResult) {
	e.finishOnce.Do(func() {
		e.mu.Lock()
		e.result, e.completedAt = res, time.Now()
		e.mu.Unlock()
		close(e.doneCh())
	})
}

// Done is closed once the task has exited.
func (e *ExitState) Done() <-chan struct{} { return e.doneCh() }

// Exited reports whether Finish was called.
func (e *ExitState) Exited() bool {
	select {
	case <-e.Done():
		return true
	default:
		return false
	}
}

// Result returns the recorded exit, or nil while the task runs.
func (e *ExitState) Result() *ExitResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.result
}

// Wait implements Driver.WaitTask: the channel yields the exit once the
// task has exited, then closes; when ctx ends first it closes without a
// value.
func (e *ExitState) Wait(ctx context.Context) <-chan *ExitResult {
	ch := make(chan *ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-e.Done():
			ch <- e.Result()
		case <-ctx.Done():
		}
	}()
	return ch
}

// Status implements Driver.InspectTask for a task with this exit state.
func (e *ExitState) Status(id, name string, startedAt time.Time) *TaskStatus {
	st := &TaskStatus{ID: id, Name: name, State: TaskStateRunning, StartedAt: startedAt}
	if e.Exited() {
		e.mu.Lock()
		st.State, st.CompletedAt, st.ExitResult = TaskStateExited, e.completedAt, e.result
		e.mu.Unlock()
	}
	return st
}
