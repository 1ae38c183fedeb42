package drover

import "testing"

func TestSpecChanged(t *testing.T) {
	base := func() *Job {
		return &Job{ID: "j", Meta: map[string]string{"a": "1", "b": "2", "c": "3"},
			TaskGroups: []*TaskGroup{{Name: "g", Count: 1, Tasks: []*Task{{Name: "t", Driver: "mock",
				Config: map[string]any{"x": int64(1), "y": "z"}}}}}}
	}
	tests := []struct {
		name   string
		change func(*Job)
		want   bool
	}{
		{"server fields only", func(j *Job) {
			j.Version, j.Status, j.JobModifyIndex, j.CreateIndex, j.ModifyIndex, j.SubmitTime, j.Stable = 3, "running", 9, 1, 9, 123, true
		}, false},
		{"same maps rebuilt (order must not matter)", func(j *Job) {
			j.Meta = map[string]string{"c": "3", "b": "2", "a": "1"}
		}, false},
		{"count", func(j *Job) { j.TaskGroups[0].Count = 2 }, true},
		{"config value", func(j *Job) { j.TaskGroups[0].Tasks[0].Config["x"] = int64(2) }, true},
		{"meta", func(j *Job) { j.Meta["a"] = "9" }, true},
	}
	for _, tt := range tests {
		a, b := base(), base()
		tt.change(b)
		got, err := a.SpecChanged(b)
		if err != nil || got != tt.want {
			t.Errorf("%s: SpecChanged = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
