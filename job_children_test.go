package drover

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPeriodicNextInTimeZone(t *testing.T) {
	for _, tt := range []struct {
		name string
		spec string
		zone string
		from time.Time
		want time.Time
	}{
		// 02:30 in New York is 07:30 UTC in winter (EST, UTC-5)...
		{"winter", "30 2 * * *", "America/New_York", time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 10, 7, 30, 0, 0, time.UTC)},
		// ...and 06:30 UTC in summer (EDT, UTC-4).
		{"summer", "30 2 * * *", "America/New_York", time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 10, 6, 30, 0, 0, time.UTC)},
		// On the spring-forward day 02:30 does not exist in New York: the
		// launch moves to the next day that has it.
		{"skipped hour", "30 2 * * *", "America/New_York", time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 6, 30, 0, 0, time.UTC)},
		// Midnight in Tokyo (UTC+9) is 15:00 UTC the day before.
		{"east of UTC", "0 0 * * *", "Asia/Tokyo", time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)},
		{"utc", "*/15 * * * *", "UTC", time.Date(2026, 5, 1, 12, 7, 0, 0, time.UTC), time.Date(2026, 5, 1, 12, 15, 0, 0, time.UTC)},
		// Strictly after: a from on a launch time gives the following one.
		{"on a launch", "*/15 * * * *", "UTC", time.Date(2026, 5, 1, 12, 15, 0, 0, time.UTC), time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &PeriodicConfig{Enabled: true, Specs: []string{tt.spec}, TimeZone: tt.zone}
			got, err := p.Next(tt.from)
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("Next(%v) = %v, %v; want %v", tt.from, got.UTC(), err, tt.want)
			}
		})
	}
	if _, err := (&PeriodicConfig{Specs: []string{"* * * * *"}, TimeZone: "Mars/Olympus"}).Next(time.Now()); err == nil || !strings.Contains(err.Error(), "Mars/Olympus") {
		t.Errorf("Next with an unknown zone: %v, want an error naming it", err)
	}
}

func TestPeriodicValidationNamesTheSpec(t *testing.T) {
	j := validJob()
	j.Type = JobTypeBatch
	j.Periodic = &PeriodicConfig{Enabled: true, Specs: []string{"61 * * * *"}, TimeZone: "Nowhere/Land"}
	j.Canonicalize()
	err := j.Validate()
	for _, want := range []string{`cron "61 * * * *" is invalid`, `time_zone "Nowhere/Land" is unknown`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
	j = validJob()
	j.Periodic = &PeriodicConfig{Enabled: true, Specs: []string{"@daily"}}
	j.Canonicalize()
	if err := j.Validate(); err == nil || !strings.Contains(err.Error(), "periodic is for batch and sysbatch jobs") {
		t.Errorf("periodic service job: %v, want refused", err)
	}
}

func dispatchParent(payload string) *Job {
	j := validJob()
	j.Type = JobTypeBatch
	j.Meta = map[string]string{"owner": "ops"}
	j.ParameterizedJob = &ParameterizedJobConfig{Payload: payload, MetaRequired: []string{"color", "shape"}, MetaOptional: []string{"size"}}
	return j
}

func TestValidateDispatch(t *testing.T) {
	meta := map[string]string{"color": "red", "shape": "round"}
	big := make([]byte, DispatchPayloadSizeLimit+1)
	stopped := dispatchParent(DispatchPayloadOptional)
	stopped.Stop = true
	for _, tt := range []struct {
		name     string
		job      *Job
		payload  []byte
		meta     map[string]string
		prefix   string
		wantErrs []string // nil: valid
	}{
		{"optional without payload", dispatchParent(DispatchPayloadOptional), nil, meta, "", nil},
		{"optional with payload", dispatchParent(DispatchPayloadOptional), []byte("x"), meta, "", nil},
		{"optional meta", dispatchParent(DispatchPayloadOptional), nil, map[string]string{"color": "a", "shape": "b", "size": "c"}, "batch.1", nil},
		{"largest payload", dispatchParent(DispatchPayloadRequired), make([]byte, DispatchPayloadSizeLimit), meta, "", nil},
		{"required missing", dispatchParent(DispatchPayloadRequired), nil, meta, "", []string{"payload is required"}},
		{"forbidden given", dispatchParent(DispatchPayloadForbidden), []byte("abc"), meta, "", []string{"payload is forbidden", "3 bytes"}},
		{"too large", dispatchParent(DispatchPayloadOptional), big, meta, "", []string{"16385 bytes exceeds the maximum of 16384"}},
		{"meta missing", dispatchParent(DispatchPayloadOptional), nil, map[string]string{"color": "red"}, "", []string{`meta key "shape" is required`}},
		{"meta unknown", dispatchParent(DispatchPayloadOptional), nil, map[string]string{"color": "red", "shape": "x", "owner": "me"}, "", []string{`meta key "owner" is not allowed`}},
		{"all at once", dispatchParent(DispatchPayloadRequired), nil, map[string]string{"weight": "1"}, "", []string{"payload is required", `"color" is required`, `"shape" is required`, `"weight" is not allowed`}},
		{"bad prefix", dispatchParent(DispatchPayloadOptional), nil, meta, "a/b", []string{`id prefix template "a/b"`}},
		{"not parameterized", validJob(), nil, nil, "", []string{"not a parameterized job"}},
		{"stopped", stopped, nil, meta, "", []string{"is stopped"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.job.ValidateDispatch(tt.payload, tt.meta, tt.prefix)
			if tt.wantErrs == nil {
				if err != nil {
					t.Fatalf("ValidateDispatch: %v, want valid", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ValidateDispatch: %v, want ErrInvalid", err)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

func TestChildJobs(t *testing.T) {
	parent := dispatchParent(DispatchPayloadOptional)
	parent.ID, parent.Version, parent.CreateIndex, parent.Status = "p", 3, 7, JobStatusRunning
	at := time.Unix(1700000000, 0)
	c := parent.DispatchChild([]byte("in"), map[string]string{"color": "red"}, "", at, "0a1b2c3d")
	if c.ID != "p/dispatch-1700000000-0a1b2c3d" || c.Name != c.ID || c.ParentID != "p" || !c.Dispatched {
		t.Errorf("dispatch child %q name %q parent %q dispatched %v", c.ID, c.Name, c.ParentID, c.Dispatched)
	}
	if c.IsParent() || c.ParameterizedJob == nil || string(c.Payload) != "in" || c.Meta["owner"] != "ops" || c.Meta["color"] != "red" {
		t.Errorf("dispatch child %+v: want a runnable job keeping the block, with payload and merged meta", c)
	}
	if c.Version != 0 || c.CreateIndex != 0 || c.Status != JobStatusPending {
		t.Errorf("dispatch child kept the parent's version %d, index %d or status %q", c.Version, c.CreateIndex, c.Status)
	}
	if parent.Meta["color"] != "" {
		t.Error("DispatchChild changed the parent's meta")
	}
	if c := parent.DispatchChild(nil, nil, "nightly", at, "00000000"); c.ID != "p/dispatch-nightly-1700000000-00000000" {
		t.Errorf("with an id prefix: %q", c.ID)
	}

	periodic := validJob()
	periodic.ID, periodic.Type = "cron", JobTypeBatch
	periodic.Periodic = &PeriodicConfig{Enabled: true, Specs: []string{"@daily"}}
	if !periodic.IsPeriodicActive() {
		t.Fatal("periodic job not active")
	}
	pc := periodic.PeriodicChild(at)
	if pc.ID != "cron/periodic-1700000000" || pc.ParentID != "cron" || pc.Periodic != nil || pc.IsParent() {
		t.Errorf("periodic child %+v", pc)
	}
	periodic.Stop = true
	if periodic.IsPeriodicActive() {
		t.Error("a stopped periodic job is active")
	}
}
