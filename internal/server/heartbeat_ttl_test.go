package server

import (
	"fmt"
	"testing"
	"time"
)

// TestNextTTLScalesWithNodes: small clusters get the configured TTL (with at
// most a quarter of jitter); large ones get a TTL long enough that all
// nodes, heartbeating at half their TTL, stay under the rate bound.
func TestNextTTLScalesWithNodes(t *testing.T) {
	tests := []struct {
		nodes    int
		rate     float64
		min, max time.Duration
	}{
		{nodes: 10, rate: 50, min: 10 * time.Second, max: 12500 * time.Millisecond},
		{nodes: 5000, rate: 50, min: 200 * time.Second, max: 250 * time.Second},
		{nodes: 5000, rate: -1, min: 10 * time.Second, max: 12500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d nodes at %v/s", tt.nodes, tt.rate), func(t *testing.T) {
			s := &Server{cfg: Config{HeartbeatTTL: 10 * time.Second, MaxHeartbeatsPerSecond: tt.rate}}
			h := newHeartbeats(s)
			for i := 0; i < tt.nodes; i++ {
				h.timers[fmt.Sprint(i)] = nil
			}
			for range 100 {
				ttl := h.nextTTL()
				if ttl < tt.min || ttl > tt.max {
					t.Fatalf("nextTTL = %s, want within [%s, %s]", ttl, tt.min, tt.max)
				}
				// Each node heartbeats every ttl/2: the total rate holds.
				if tt.rate > 0 && float64(tt.nodes)/(ttl.Seconds()/2) > tt.rate {
					t.Fatalf("ttl %s lets %d nodes send %.1f heartbeats/s, over %v", ttl, tt.nodes, float64(tt.nodes)/(ttl.Seconds()/2), tt.rate)
				}
			}
		})
	}
}
