package terminal

import (
	"crypto/sha256"
	"time"
)

// DefaultDedupeWindow is how long the same code text counts as one
// presentation when PipelineConfig.DedupeWindow is zero.
const DefaultDedupeWindow = 3 * time.Second

// DefaultDedupeMemory bounds the texts a dedupe remembers: far more people
// than can pass one terminal within any sensible window.
const DefaultDedupeMemory = 1024

// dedupe tells a new presentation of a code text from the same phone held
// in front of the camera for a few more frames. The window slides: it runs
// from the last sighting, not the first decision, so a code held still is
// one decision however long it is held — re-verifying a dynamic code would
// otherwise deny it as replayed. Texts are remembered by their SHA-256, so
// the raw code text is not kept. It is not safe for concurrent use.
type dedupe struct {
	window time.Duration // <= 0: every sighting is new
	max    int
	seen   map[[32]byte]time.Time // text hash -> last sighting
}

func newDedupe(window time.Duration, max int) *dedupe {
	return &dedupe{window: window, max: max, seen: map[[32]byte]time.Time{}}
}

// fresh records a sighting of text at now and reports whether it is a new
// presentation: not seen within the window before now.
func (d *dedupe) fresh(text string, now time.Time) bool {
	if d.window <= 0 {
		return true
	}
	k := sha256.Sum256([]byte(text))
	last, ok := d.seen[k]
	d.seen[k] = now
	if ok && now.Sub(last) < d.window && !now.Before(last) {
		return false
	}
	if len(d.seen) > d.max {
		d.prune(now)
	}
	return true
}

// forget drops text, so that its next sighting is decided again.
func (d *dedupe) forget(text string) {
	delete(d.seen, sha256.Sum256([]byte(text)))
}

// prune drops the sightings outside the window and, if that is not enough,
// the oldest one.
func (d *dedupe) prune(now time.Time) {
	var oldest [32]byte
	var oldestAt time.Time
	for k, at := range d.seen {
		if now.Sub(at) >= d.window {
			delete(d.seen, k)
			continue
		}
		if oldestAt.IsZero() || at.Before(oldestAt) {
			oldest, oldestAt = k, at
		}
	}
	if len(d.seen) > d.max {
		delete(d.seen, oldest)
	}
}
