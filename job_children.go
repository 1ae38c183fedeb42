package drover

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// DispatchPayloadSizeLimit is the largest payload a dispatch may carry, as
// Nomad's: the payload travels in the job through Raft and to every client.
const DispatchPayloadSizeLimit = 16 * 1024

// IsPeriodicActive reports whether the periodic dispatcher launches
// children of the job: it is periodic with its schedule enabled, not
// stopped, and not a parameterized template (whose dispatched children are
// the periodic ones).
func (j *Job) IsPeriodicActive() bool {
	return j.IsPeriodic() && j.Periodic.Enabled && !j.Stop && !j.IsParameterized()
}

// PeriodicChild derives the child a periodic job launches at launch: a copy
// with ID "<parent>/periodic-<unix seconds>", ParentID set, no periodic
// block, and pending status. The child runs as an ordinary batch job.
func (j *Job) PeriodicChild(launch time.Time) *Job {
	c := j.childCopy()
	c.ID = fmt.Sprintf("%s%s%d", j.ID, PeriodicLaunchSuffix, launch.Unix())
	c.Name = c.ID
	c.Periodic = nil
	return c
}

// childCopy is a copy of the parent with the fields every child resets.
func (j *Job) childCopy() *Job {
	c := j.Copy()
	c.ParentID = j.ID
	c.Status, c.StatusDescription = JobStatusPending, ""
	c.Stop, c.Stable = false, false
	c.Version, c.SubmitTime = 0, 0
	c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	return c
}

// ValidateDispatch checks a dispatch of the job against its parameterized
// block: the job must be a parameterized template that is not stopped; the
// payload must be given when required, absent when forbidden and at most
// DispatchPayloadSizeLimit bytes; every meta_required key must be given and
// every given key must be in meta_required or meta_optional. Every problem
// is named in one ErrInvalid error.
func (j *Job) ValidateDispatch(payload []byte, meta map[string]string, idPrefix string) error {
	if !j.IsParameterized() {
		return Errorf(ErrInvalid, "job %q is not a parameterized job: only parameterized jobs can be dispatched", j.ID)
	}
	if j.Stop {
		return Errorf(ErrInvalid, "parameterized job %q is stopped: register it again to dispatch it", j.ID)
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	switch p := j.ParameterizedJob; {
	case p.Payload == DispatchPayloadRequired && len(payload) == 0:
		add("payload is required by job %q but none was given", j.ID)
	case p.Payload == DispatchPayloadForbidden && len(payload) > 0:
		add("payload is forbidden by job %q but %d bytes were given", j.ID, len(payload))
	}
	if len(payload) > DispatchPayloadSizeLimit {
		add("payload of %d bytes exceeds the maximum of %d bytes", len(payload), DispatchPayloadSizeLimit)
	}
	allowed := map[string]bool{}
	for _, k := range j.ParameterizedJob.MetaOptional {
		allowed[k] = true
	}
	for _, k := range j.ParameterizedJob.MetaRequired {
		allowed[k] = true
		if _, ok := meta[k]; !ok {
			add("meta key %q is required but was not given", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		if !allowed[k] {
			add("meta key %q is not allowed: the job's meta_required and meta_optional do not list it", k)
		}
	}
	if idPrefix != "" && (len(idPrefix) > 64 || !validJobID.MatchString(idPrefix)) {
		add("id prefix template %q must be at most 64 letters, digits, '_', '-' and '.'", idPrefix)
	}
	if len(problems) > 0 {
		return Errorf(ErrInvalid, "dispatch of job %q: %s", j.ID, strings.Join(problems, "; "))
	}
	return nil
}

// DispatchChild derives the child a dispatch registers: a copy with ID
// "<parent>/dispatch-[<idPrefix>-]<unix seconds>-<suffix>", ParentID set,
// Dispatched true, the payload, and meta merged over the parent's. The
// parameterized block is kept (as Nomad keeps it) so the child's tasks may
// read their dispatch payload. Call ValidateDispatch first.
func (j *Job) DispatchChild(payload []byte, meta map[string]string, idPrefix string, now time.Time, suffix string) *Job {
	c := j.childCopy()
	prefix := ""
	if idPrefix != "" {
		prefix = idPrefix + "-"
	}
	c.ID = fmt.Sprintf("%s%s%s%d-%s", j.ID, DispatchLaunchSuffix, prefix, now.Unix(), suffix)
	c.Name = c.ID
	c.Dispatched = true
	c.Payload = slices.Clone(payload)
	if len(meta) > 0 {
		if c.Meta == nil {
			c.Meta = make(map[string]string, len(meta))
		}
		maps.Copy(c.Meta, meta)
	}
	return c
}
