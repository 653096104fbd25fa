package engine

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
	"github.com/fuscan/fuscan/terminal/cose"
)

// The update kinds, as bundle names them.
const (
	kindTrust       = bundle.KindTrust
	kindRevocations = bundle.KindRevocations
	kindPolicy      = bundle.KindPolicy
	kindConfig      = bundle.KindConfig
	kindRoots       = bundle.KindRoots
)

// applied is an update bundle in effect, as the store keeps it under
// "update:KIND": what the status reports and what the same bundle
// received again is recognised by. Data is the data in effect: the
// payload, or for revocations the whole set after any deltas, as 32-byte
// hashes in rising order. For trust, the snapshot itself is kept under
// "snapshot" as a local snapshot file's would be, and Data is empty.
type applied struct {
	Version  uint64 `cbor:"1,keyasint"`
	IssuedAt int64  `cbor:"2,keyasint"`
	Digest   []byte `cbor:"3,keyasint"`
	Data     []byte `cbor:"4,keyasint,omitempty"`
}

func updateKey(kind string) string { return "update:" + kind }

// loadApplied reads the update bundles in effect from the store.
func (e *Engine) loadApplied() (map[string]*applied, error) {
	out := map[string]*applied{}
	for _, kind := range bundle.Kinds {
		_, data, err := e.store.Trust(updateKey(kind))
		if errors.Is(err, boltstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		a := &applied{}
		if err := cose.DecMode.Unmarshal(data, a); err != nil {
			return nil, fmt.Errorf("stored %s update: %w", kind, err)
		}
		out[kind] = a
	}
	return out, nil
}

// Held implements bundle.Holder: the version of kind in effect. For trust
// it is the snapshot's (zero for a demo one: any provisioned snapshot
// replaces it); for policy, the policy in use, wherever it came from.
func (e *Engine) Held(kind string) (uint64, [sha256.Size]byte) {
	e.upd.Lock()
	defer e.upd.Unlock()
	var version uint64
	switch kind {
	case kindTrust:
		if !e.parts.snap.Demo {
			version = e.parts.snap.Version
		}
	case kindPolicy:
		version = e.verifier.Trust().Policy.Version
	}
	var digest [sha256.Size]byte
	if a := e.parts.applied[kind]; a != nil {
		if kind != kindTrust && kind != kindPolicy {
			version = a.Version
		}
		if a.Version == version {
			copy(digest[:], a.Digest)
		}
	}
	return version, digest
}

// Apply implements bundle.Holder: it checks the payload of b, stores it
// (with the record of the bundle) in one transaction, and puts it in
// effect for the next decision.
func (e *Engine) Apply(b *bundle.Bundle) error {
	e.upd.Lock()
	defer e.upd.Unlock()
	a := &applied{Version: b.Version, IssuedAt: b.IssuedAt.Unix(), Digest: b.Digest[:], Data: b.Payload}
	var extra []boltstore.TrustEntry
	next := e.parts // a copy: the maps are replaced, not changed
	next.applied = maps.Clone(e.parts.applied)
	if next.applied == nil {
		next.applied = map[string]*applied{}
	}
	var remote *firmwareconfig.Remote
	switch b.Kind {
	case kindTrust:
		snap, err := terminal.ParseSnapshot(b.Payload)
		if err != nil {
			return &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
		}
		if snap.Version != b.Version {
			return &bundle.Error{Reason: bundle.Malformed, Detail: fmt.Sprintf("bundle version %d holds snapshot version %d", b.Version, snap.Version)}
		}
		if err := snap.Replaces(e.parts.snap); err != nil {
			return &bundle.Error{Reason: reasonOfTrust(err), Detail: err.Error()}
		}
		a.Data = nil
		next.snapshot, next.snap = b.Payload, snap
		extra = append(extra, boltstore.TrustEntry{Kind: snapshotKind, Version: snap.Version, Data: b.Payload})
	case kindRevocations:
		set, err := revocations(b, e.parts.applied[kindRevocations])
		if err != nil {
			return err
		}
		a.Data = set
	case kindPolicy:
		p, err := terminal.ParsePolicy(b.Payload)
		if err != nil {
			return &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
		}
		if p.Version != b.Version {
			return &bundle.Error{Reason: bundle.Malformed, Detail: fmt.Sprintf("bundle version %d holds policy version %d", b.Version, p.Version)}
		}
	case kindConfig:
		r, err := firmwareconfig.ParseRemote(b.Payload)
		if err != nil {
			return &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
		}
		remote = &r
	case kindRoots:
		if _, err := bundle.ParseRoots(b.Payload); err != nil {
			return &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
		}
	}
	next.applied[b.Kind] = a
	trust, err := next.build()
	if err != nil {
		return &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
	}
	value, err := cose.EncMode.Marshal(a)
	if err != nil {
		return err
	}
	if err := e.store.PutTrusts(append(extra, boltstore.TrustEntry{Kind: updateKey(b.Kind), Version: b.Version, Data: value})...); err != nil {
		return err
	}
	e.parts = next
	e.verifier.SetTrust(trust)
	if remote != nil {
		e.applyRemote(*remote)
	}
	e.logger.Info("update applied", "kind", b.Kind, "version", b.Version, "target", b.Target)
	return nil
}

// reasonOfTrust maps the trust-update rule's errors to bundle reasons.
func reasonOfTrust(err error) bundle.Reason {
	if errors.Is(err, terminal.ErrDemoTrust) {
		return bundle.DemoTrust
	}
	return bundle.NotNewer
}

// revocations returns the revocation set b makes: its list, or for a
// delta the set held (at b.Base) with its entries added and lifted, as
// 32-byte hashes in rising order.
func revocations(b *bundle.Bundle, held *applied) ([]byte, error) {
	if b.Base == 0 {
		list, err := terminal.ParseRevocations(b.Payload)
		if err != nil {
			return nil, &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
		}
		return setOf(list, nil, nil), nil
	}
	if held == nil || held.Version != b.Base {
		return nil, &bundle.Error{Reason: bundle.BaseMissing, Detail: fmt.Sprintf("a delta on version %d", b.Base)}
	}
	add, remove, err := terminal.ParseRevocationDelta(b.Payload)
	if err != nil {
		return nil, &bundle.Error{Reason: bundle.Malformed, Detail: err.Error()}
	}
	return setOf(hashes(held.Data), add, remove), nil
}

// setOf returns base with add and without remove, sorted, deduplicated,
// as concatenated hashes.
func setOf(base, add, remove [][sha256.Size]byte) []byte {
	gone := map[[sha256.Size]byte]bool{}
	for _, h := range remove {
		gone[h] = true
	}
	var all [][sha256.Size]byte
	for _, h := range slices.Concat(base, add) {
		if !gone[h] {
			all = append(all, h)
		}
	}
	slices.SortFunc(all, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	all = slices.Compact(all)
	out := make([]byte, 0, len(all)*sha256.Size)
	for _, h := range all {
		out = append(out, h[:]...)
	}
	return out
}

// hashes splits concatenated 32-byte hashes.
func hashes(data []byte) [][sha256.Size]byte {
	out := make([][sha256.Size]byte, len(data)/sha256.Size)
	for i := range out {
		copy(out[i][:], data[i*sha256.Size:])
	}
	return out
}

// versions returns what the status reports of each kind.
func (e *Engine) versions() map[string]wire.Applied {
	e.upd.Lock()
	defer e.upd.Unlock()
	out := map[string]wire.Applied{kindTrust: {Version: e.parts.snap.Version, IssuedAt: e.parts.snap.IssuedAt}}
	if p := e.verifier.Trust().Policy; p.Version > 0 {
		out[kindPolicy] = wire.Applied{Version: p.Version}
	}
	for kind, a := range e.parts.applied {
		if kind == kindTrust || kind == kindPolicy && a.Version != out[kindPolicy].Version {
			continue
		}
		out[kind] = wire.Applied{Version: a.Version, IssuedAt: time.Unix(a.IssuedAt, 0).UTC()}
	}
	return out
}
