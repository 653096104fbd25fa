package terminal

import (
	"fmt"
	"testing"
	"time"
)

// TestDedupeMemoryBounded: a stream of distinct codes does not grow the
// memory beyond its bound, and the latest sightings are still remembered.
func TestDedupeMemoryBounded(t *testing.T) {
	d := newDedupe(time.Minute, 16)
	for i := range 1000 {
		d.fresh(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if len(d.seen) > 17 {
		t.Errorf("got %d texts remembered, want at most 17", len(d.seen))
	}
	if d.fresh("999", t0.Add(time.Second)) {
		t.Errorf("latest text forgotten")
	}
}

// TestDedupeClockBack: a sighting before the last one (the clock was set
// back) is decided, not swallowed for the length of the jump.
func TestDedupeClockBack(t *testing.T) {
	d := newDedupe(3*time.Second, 16)
	if !d.fresh("a", t0) || !d.fresh("a", t0.Add(-time.Hour)) {
		t.Errorf("got a repeat, want a new presentation")
	}
	if d.fresh("a", t0.Add(-time.Hour+time.Second)) {
		t.Errorf("1 s after a sighting: got new, want a repeat")
	}
}
