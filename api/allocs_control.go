package api

import (
	"net/http"

	"github.com/drover-sh/drover"
)

// allocRestartBody is the body of PUT /v1/client/allocation/<id>/restart.
type allocRestartBody struct {
	TaskName string
	AllTasks bool
}

// allocSignalBody is the body of PUT /v1/client/allocation/<id>/signal.
type allocSignalBody struct {
	Task   string
	Signal string
}

// Stop stops the allocation (full ID) and has the servers replace it at
// once. The answer names the evaluation that does it. An unknown
// allocation is an error matching drover.ErrNotFound.
func (a *Allocations) Stop(allocID string) (*drover.AllocStopResponse, *WriteMeta, error) {
	var out drover.AllocStopResponse
	wm, err := a.c.write(http.MethodPut, "/v1/allocation/"+pathEscape(allocID)+"/stop", nil, nil, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Restart restarts the named task of the allocation (full ID) in place,
// or every running task when task is empty; the restart does not count
// against the task's restart policy. The agent the client talks to
// forwards the request to the allocation's node. An unknown allocation
// matches drover.ErrNotFound, an unknown task drover.ErrInvalid, a task
// that is not running drover.ErrConflict.
func (a *Allocations) Restart(allocID, task string) error {
	return a.restart(allocID, allocRestartBody{TaskName: task})
}

// RestartAllTasks restarts the whole allocation in place: every task,
// including prestart and poststart tasks that already ran to their end,
// starts again in lifecycle order. An allocation that is stopping or has
// ended matches drover.ErrConflict.
func (a *Allocations) RestartAllTasks(allocID string) error {
	return a.restart(allocID, allocRestartBody{AllTasks: true})
}

func (a *Allocations) restart(allocID string, body allocRestartBody) error {
	var out struct{}
	_, err := a.c.write(http.MethodPut, "/v1/client/allocation/"+pathEscape(allocID)+"/restart", nil, &body, &out)
	return err
}

// Signal sends signal ("SIGHUP", "SIGUSR1", ...) to the named task of the
// allocation (full ID), or to every running task when task is empty. Errors
// are those of Restart; an unknown signal matches drover.ErrInvalid.
func (a *Allocations) Signal(allocID, task, signal string) error {
	var out struct{}
	body := allocSignalBody{Task: task, Signal: signal}
	_, err := a.c.write(http.MethodPut, "/v1/client/allocation/"+pathEscape(allocID)+"/signal", nil, &body, &out)
	return err
}
