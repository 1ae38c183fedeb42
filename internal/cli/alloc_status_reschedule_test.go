package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	drover "github.com/drover-sh/drover"
)

func TestAllocStatusRescheduleLines(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	job := &drover.Job{ID: "web", TaskGroups: []*drover.TaskGroup{{Name: "web",
		ReschedulePolicy: &drover.ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 30 * time.Second, DelayFunction: drover.DelayFunctionConstant}}}}
	a := &drover.Allocation{ID: "a2", Name: "web.web[0]", Job: job, TaskGroup: "web",
		ClientStatus: drover.AllocClientStatusFailed, ModifyTime: now.Add(-2 * time.Second).UnixNano(),
		FollowupEvalID: "e9",
		RescheduleTracker: &drover.RescheduleTracker{Events: []*drover.RescheduleEvent{
			{RescheduleTime: now.Add(-time.Minute).UnixNano(), PrevAllocID: "a1", Delay: 30 * time.Second}}}}
	var buf bytes.Buffer
	writeAllocStatus(&buf, now, a, true)
	out := buf.String()
	for _, want := range []string{"Reschedule Attempts", "1/3", "Reschedule Eligibility", "28s from now"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	a.FollowupEvalID, a.RescheduleTracker = "", nil
	buf.Reset()
	writeAllocStatus(&buf, now, a, true)
	if strings.Contains(buf.String(), "Reschedule") {
		t.Errorf("reschedule lines for an alloc without follow-up or tracker:\n%s", buf.String())
	}
}
