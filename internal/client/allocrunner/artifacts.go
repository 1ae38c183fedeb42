package allocrunner

import (
	"context"
	"fmt"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/artifact"
	"github.com/drover-sh/drover/internal/client/taskenv"
)

// artifactHook fetches the task's artifact blocks into its directory before
// the task first starts. A failed or refused fetch emits "Failed Artifact
// Download" and is retried per the task's restart policy, as in Nomad; the
// task never starts without all its artifacts.
//
// Artifacts are fetched once: a runner that finds the task already started
// (an agent that restarted while the task ran, or a task restarted after
// an exit) leaves the task directory alone, so a running task never sees
// its files replaced under it.
type artifactHook struct{}

func (artifactHook) Name() string { return "artifacts" }

func (artifactHook) Prestart(ctx context.Context, tr *taskRunner) error {
	if len(tr.task.Artifacts) == 0 || !tr.State().StartedAt.IsZero() {
		return nil
	}
	env := taskenv.Build(taskenv.Input{
		Alloc: tr.alloc(), Task: tr.task, Node: tr.cfg.Node,
		AllocDir: tr.allocDir, TaskDir: tr.taskDir, Path: tr.cfg.Path,
	})
	limits := artifact.DefaultLimits()
	if tr.cfg.ArtifactLimits != nil {
		limits = *tr.cfg.ArtifactLimits
	}
	tr.emit(tr.event(drover.TaskDownloadingArtifacts, "Client is downloading artifacts"), nil)
	if err := artifact.RemoveStaging(tr.taskDir); err != nil {
		return &hookFailure{eventType: drover.TaskArtifactDownloadFailed, recoverable: true, err: fmt.Errorf("removing an earlier partial download: %w", err)}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // a kill stops a download that may take minutes
		select {
		case <-tr.killCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	for _, a := range tr.task.Artifacts {
		err := artifact.Fetch(ctx, artifact.Request{
			Artifact: a, TaskDir: tr.taskDir, AllocDir: tr.allocDir, Env: env, Limits: limits,
		})
		if err != nil {
			return &hookFailure{eventType: drover.TaskArtifactDownloadFailed, recoverable: true, err: err}
		}
	}
	return nil
}
