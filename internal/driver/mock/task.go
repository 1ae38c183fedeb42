package mock

import (
	"errors"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/driver"
)

// task is one mock task: a goroutine running task.run.
type task struct {
	id, name   string
	cfg        *taskConfig
	stdoutPath string
	startedAt  time.Time

	stopCh   chan syscall.Signal // StopTask's signal
	killCh   chan struct{}       // closed to kill at once
	killOnce sync.Once
	driver.ExitState
}

// run plays the task's configured life until it exits.
func (t *task) run(logger *slog.Logger) {
	var runC, repeatC, reactC <-chan time.Time
	if t.cfg.RunFor > 0 {
		timer := time.NewTimer(t.cfg.RunFor)
		defer timer.Stop()
		runC = timer.C
	}
	repeats := t.cfg.StdoutRepeat
	if repeats > 0 && t.cfg.StdoutString != "" {
		tick := time.NewTicker(max(t.cfg.StdoutRepeatDuration, time.Millisecond))
		defer tick.Stop()
		repeatC = tick.C
	}
	var stopSig syscall.Signal
	stopC := t.stopCh // nil once a stop is under way: later ones change nothing
	for {
		select {
		case <-runC:
			t.Finish(t.configuredExit())
			return
		case <-repeatC:
			if err := writeStdout(t.stdoutPath, t.cfg.StdoutString); err != nil {
				logger.Warn("mock task cannot write stdout", "task_id", t.id, "error", err)
			}
			if repeats--; repeats == 0 {
				repeatC = nil
			}
		case stopSig = <-stopC:
			stopC = nil
			if t.cfg.KillAfter <= 0 {
				t.Finish(signalExit(stopSig))
				return
			}
			timer := time.NewTimer(t.cfg.KillAfter)
			defer timer.Stop()
			reactC = timer.C
		case <-reactC:
			t.Finish(signalExit(stopSig))
			return
		case <-t.killCh:
			t.Finish(signalExit(syscall.SIGKILL))
			return
		}
	}
}

func (t *task) configuredExit() *driver.ExitResult {
	res := &driver.ExitResult{ExitCode: t.cfg.ExitCode, Signal: t.cfg.ExitSignal}
	if t.cfg.ExitErrMsg != "" {
		res.Err = errors.New(t.cfg.ExitErrMsg)
	}
	return res
}

func signalExit(sig syscall.Signal) *driver.ExitResult {
	return &driver.ExitResult{ExitCode: 128 + int(sig), Signal: int(sig)}
}

func (t *task) kill() { t.killOnce.Do(func() { close(t.killCh) }) }
