package bundle

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
)

// Holder is what a device holds of each kind of update. The Updater asks
// it what is in effect and hands it the verified, current, newer bundles
// to apply.
type Holder interface {
	// Held returns the version of kind in effect (0: none, or only a demo
	// trust snapshot) and the digest of the bundle that brought it (zero
	// when it came from elsewhere, such as a local file).
	Held(kind string) (version uint64, digest [sha256.Size]byte)
	// Apply checks b's payload, stores it atomically and puts it in
	// effect: the next decision uses it. Its error is an *Error
	// (Malformed, DemoTrust, BaseMissing...) or any other error, which
	// reports as StoreFailed.
	Apply(b *Bundle) error
}

// UpdaterOptions configures NewUpdater. Device, Roots and Holder are
// required.
type UpdaterOptions struct {
	Device string
	Group  string // the device's group; empty: none, so no group bundle addresses it
	Roots  *Roots // the roots in effect: pinned in the config, or the last roots bundle applied
	Holder Holder
	// Now is the clock that expiry is checked against. Nil: time.Now.
	Now func() time.Time
}

// Updater decides the bundles a device receives, one at a time.
type Updater struct {
	opts UpdaterOptions
	now  func() time.Time

	mu    sync.Mutex
	roots *Roots
}

// NewUpdater returns an Updater for the device opts describes.
func NewUpdater(opts UpdaterOptions) *Updater {
	u := &Updater{opts: opts, now: opts.Now, roots: opts.Roots}
	if u.now == nil {
		u.now = time.Now
	}
	return u
}

// Roots returns the roots in effect.
func (u *Updater) Roots() *Roots {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.roots
}

// Offer decides data, received on topic, and returns its report. It
// returns ok false, and nothing to report, when data is the bundle already
// in effect received again (a retained message after a reconnect).
func (u *Updater) Offer(topic string, data []byte) (r wire.Report, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r = wire.Report{Time: u.now().UTC(), Topic: topic}
	b, err := u.decide(topic, data)
	if b != nil {
		r.Kind, r.Version, r.Target = b.Kind, b.Version, b.Target
	}
	if err == errCurrent {
		return r, false
	}
	reason := ReasonOf(err)
	r.Reason, r.Outcome = string(reason), wire.OutcomeRejected
	switch reason {
	case Applied:
		r.Outcome = wire.OutcomeApplied
	case BaseMissing:
		r.Outcome = wire.OutcomeWaiting
	}
	if err != nil {
		r.Detail = err.Error()
	}
	return r, true
}

// errCurrent is the bundle in effect, received again.
var errCurrent = &Error{Reason: NotNewer, Detail: "in effect"}

// decide runs the checks in order and applies b when they pass.
func (u *Updater) decide(topic string, data []byte) (*Bundle, error) {
	target, kind, err := wire.ParseUpdateTopic(topic)
	if err != nil {
		return nil, refuse(WrongTarget, "%v", err)
	}
	b, err := Open(data, u.roots)
	if err != nil {
		return nil, err
	}
	t, _ := ParseTarget(b.Target) // Open checked it
	switch {
	case b.Kind != kind || b.Target != target:
		return b, refuse(WrongTarget, "a %s bundle for %s on the topic of %s for %s", b.Kind, b.Target, kind, target)
	case !t.Addresses(u.opts.Device, u.opts.Group):
		return b, refuse(WrongTarget, "for %s, this is device %s of group %q", b.Target, u.opts.Device, u.opts.Group)
	case u.now().After(b.ExpiresAt):
		return b, refuse(Expired, "expired at %s", b.ExpiresAt.Format(time.RFC3339))
	}
	held, digest := u.opts.Holder.Held(b.Kind)
	switch {
	case b.Version == held && b.Digest == digest:
		return b, errCurrent
	case b.Version <= held:
		return b, refuse(NotNewer, "version %d, holding %d", b.Version, held)
	case b.Base != 0 && b.Base != held:
		return b, refuse(BaseMissing, "a delta on version %d, holding %d: waiting for a full list", b.Base, held)
	}
	if err := u.opts.Holder.Apply(b); err != nil {
		return b, err
	}
	if b.Kind == KindRoots {
		roots, err := ParseRoots(b.Payload)
		if err != nil {
			return b, fmt.Errorf("bundle: roots applied but unreadable: %w", err) // Apply checked them
		}
		u.roots = roots
	}
	return b, nil
}
