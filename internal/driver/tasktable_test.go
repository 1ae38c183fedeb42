package driver

import (
	"errors"
	"strings"
	"testing"
)

func TestTaskTable(t *testing.T) {
	tt := NewTaskTable[*int]("raw_exec")
	if _, err := tt.Get("a"); !errors.Is(err, ErrTaskNotFound) || !strings.Contains(err.Error(), `raw_exec task "a"`) {
		t.Fatalf("Get(unknown) = %v", err)
	}
	if err := tt.Reserve("a"); err != nil {
		t.Fatal(err)
	}
	if err := tt.Reserve("a"); err == nil {
		t.Fatal("a second Reserve of a starting ID succeeded")
	}
	one := 1
	tt.Add("a", &one)
	tt.Release("a")
	if err := tt.Reserve("a"); err == nil {
		t.Fatal("Reserve of a running task's ID succeeded")
	}
	two := 2
	if tt.AddIfAbsent("a", &two) {
		t.Fatal("AddIfAbsent replaced a task")
	}
	if got, err := tt.Get("a"); err != nil || *got != 1 {
		t.Fatalf("Get = %v, %v; want the first task", got, err)
	}
	tt.Remove("a")
	if !tt.AddIfAbsent("a", &two) {
		t.Fatal("AddIfAbsent after Remove refused")
	}
	if got, _ := tt.Get("a"); *got != 2 {
		t.Fatalf("Get = %d, want 2", *got)
	}
}

func TestEnvList(t *testing.T) {
	if got := EnvList(nil); got == nil || len(got) != 0 {
		t.Fatalf("EnvList(nil) = %#v, want empty and non-nil", got)
	}
	if got := strings.Join(EnvList(map[string]string{"B": "2", "A": "1=x"}), " "); got != "A=1=x B=2" {
		t.Fatalf("EnvList = %q", got)
	}
}
