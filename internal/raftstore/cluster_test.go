package raftstore

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/drover-sh/drover"
	"github.com/drover-sh/drover/internal/fsm"
)

// TestThreeServerCluster joins two servers to a bootstrapped one over
// in-memory transports, applies through the leader and ends by checking
// that every server's state holds every acknowledged write.
func TestThreeServerCluster(t *testing.T) {
	const n = 3
	trans := make([]*raft.InmemTransport, n)
	for i := range trans {
		_, trans[i] = raft.NewInmemTransport(raft.ServerAddress(fmt.Sprintf("s%d", i)))
	}
	for i := range trans {
		for j := range trans {
			if i != j {
				trans[i].Connect(trans[j].LocalAddr(), trans[j])
			}
		}
	}
	stores := make([]*Store, n)
	fsms := make([]*fsm.FSM, n)
	for i := range stores {
		fsms[i] = fsm.New(nil, slog.New(slog.DiscardHandler), fsm.Hooks{})
		s, err := Open(Config{LocalID: fmt.Sprintf("s%d", i), Transport: trans[i], Bootstrap: i == 0, FSM: fsms[i], FastTimeouts: true})
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
		t.Cleanup(func() { s.Shutdown() })
	}
	leader := stores[0]
	waitLeader(t, leader)
	for i := 1; i < n; i++ {
		if err := leader.Raft().AddVoter(raft.ServerID(fmt.Sprintf("s%d", i)), trans[i].LocalAddr(), 0, 5*time.Second).Error(); err != nil {
			t.Fatalf("add voter s%d: %v", i, err)
		}
	}

	// Apply through whichever server leads: under load (-race) leadership
	// may move, and a write refused with ErrNoLeader is simply retried.
	var want []string
	var leaderIndex uint64
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("job-%d", i)
		index, err := applyToLeader(t, stores, &fsm.JobRegisterRequest{Job: testJob(id)})
		if err != nil {
			t.Fatalf("apply %s: %v", id, err)
		}
		want = append(want, id)
		leaderIndex = max(leaderIndex, index)
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < n; i++ {
		for {
			idx, _ := fsms[i].State().LatestIndex()
			if idx >= leaderIndex {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("s%d applied up to %d, leader %d", i, idx, leaderIndex)
			}
			time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
		}
	}
	for i, f := range fsms {
		jobs, err := f.State().JobsByIDPrefix(nil, "default", "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range jobs {
			got = append(got, j.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("s%d has jobs %v, want %v", i, got, want)
		}
	}
}

// applyToLeader applies msg through the current leader, retrying while
// there is none or it changes, until a deadline.
func applyToLeader(t *testing.T, stores []*Store, msg *fsm.JobRegisterRequest) (uint64, error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, s := range stores {
			if !s.IsLeader() {
				continue
			}
			index, _, err := s.Apply(ctx(t), fsm.JobRegisterRequestType, msg)
			if err == nil || !errors.Is(err, drover.ErrNoLeader) {
				return index, err
			}
		}
		if time.Now().After(deadline) {
			return 0, errors.New("no leader accepted the write within 10s")
		}
		time.Sleep(10 * time.Millisecond) // polling for a leader with a deadline
	}
}
