package drover

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeNumbers(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"port": 8080, "ratio": 0.5, "big": 1e400, "list": [1, {"n": 2}], "s": "3"}`))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	got := NormalizeNumbers(v)
	want := map[string]any{"port": int64(8080), "ratio": 0.5, "big": "1e400",
		"list": []any{int64(1), map[string]any{"n": int64(2)}}, "s": "3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	var nilJob *Job
	nilJob.NormalizeConfigNumbers() // must not panic
}
