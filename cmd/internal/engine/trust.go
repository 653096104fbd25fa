package engine

import (
	"errors"
	"fmt"
	"io"
	"os"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
)

// snapshotKind names the trust snapshot in the store.
const snapshotKind = "snapshot"

// trustParts are what the trust in use is built from: a snapshot, the
// extra keys and policy of the config, and the update bundles applied.
// Engine.upd guards them.
type trustParts struct {
	snapshot   []byte          // the snapshot document in use
	snap       *terminal.Trust // snapshot parsed, for its version and demo flag
	keys       []*terminal.Key // Config.Keys
	filePolicy *terminal.Policy
	applied    map[string]*applied // update bundles in effect, by kind
}

// loadTrust reads the trust parts and builds the trust the terminal
// verifies with. The snapshot is the configured one (or the one built in)
// or the one in the store: a snapshot that may replace the stored one
// (terminal.Trust.Replaces: newer, and not a demo) is stored, so the
// device keeps it without the file; otherwise the stored one is used, and
// a file that lost is ignored with a warning. A demo snapshot is used only
// while nothing is provisioned. Then come the configured extra keys and
// policy, and the update bundles applied earlier (see buildTrust).
func (e *Engine) loadTrust() (*terminal.Trust, error) {
	data, from := firmwareconfig.DefaultTrust(), "built-in snapshot"
	if e.cfg.Trust != "" {
		var err error
		if data, err = readFile(e.cfg.Trust); err != nil {
			return nil, fmt.Errorf("trust snapshot: %w", err)
		}
		from = e.cfg.Trust
	}
	snap, err := terminal.ParseSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("trust snapshot %s: %w", from, err)
	}
	storedData, stored, err := e.storedTrust()
	if err != nil {
		return nil, err
	}
	switch err := snap.Replaces(stored); {
	case err == nil:
		if err := e.store.PutTrust(snapshotKind, snap.Version, data); err != nil {
			return nil, err
		}
	case stored != nil:
		if e.cfg.Trust != "" && stored.Version != snap.Version {
			e.logger.Warn("trust snapshot file ignored: "+err.Error(),
				"file", e.cfg.Trust, "file_version", snap.Version, "file_demo", snap.Demo, "stored_version", stored.Version)
		}
		data, snap, from = storedData, stored, "store"
	}
	e.parts.snapshot, e.parts.snap = data, snap
	for _, path := range e.cfg.Keys {
		data, err := readFile(path)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		keys, err := terminal.ParseKeys(data)
		if err != nil {
			return nil, fmt.Errorf("keys %s: %w", path, err)
		}
		e.parts.keys = append(e.parts.keys, keys...)
	}
	if e.cfg.Policy != "" {
		data, err := readFile(e.cfg.Policy)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if e.parts.filePolicy, err = terminal.ParsePolicy(data); err != nil {
			return nil, fmt.Errorf("policy %s: %w", e.cfg.Policy, err)
		}
	}
	if e.parts.applied, err = e.loadApplied(); err != nil {
		return nil, err
	}
	trust, err := e.parts.build()
	if err != nil {
		return nil, err
	}
	e.logger.Info("trust loaded", "from", from, "version", trust.Version, "keys", trust.KeyCount(),
		"expires", trust.ExpiresAt, "policy_version", trust.Policy.Version)
	if trust.Demo {
		e.logger.Warn("TRUSTING THE PUBLISHED DEMO KEYS: anyone can make codes that pass; provision a production trust snapshot (trust in the config file)")
	}
	return trust, nil
}

// build returns the trust in use: the snapshot's keys and revocations,
// the extra keys, the revocations of the last revocations bundle, and the
// policy of the highest version among the snapshot's, the policy file's
// and the last policy bundle's (a tie goes to the bundle, then the file).
func (p *trustParts) build() (*terminal.Trust, error) {
	t, err := terminal.ParseSnapshot(p.snapshot)
	if err != nil {
		return nil, fmt.Errorf("trust snapshot: %w", err) // parsed before: cannot happen
	}
	for _, k := range p.keys {
		t.AddKey(k)
	}
	if a := p.applied[kindRevocations]; a != nil {
		for _, h := range hashes(a.Data) {
			t.RevokeHash(h)
		}
	}
	if p.filePolicy != nil && p.filePolicy.Version >= t.Policy.Version {
		t.Policy = *p.filePolicy
	}
	if a := p.applied[kindPolicy]; a != nil && a.Version >= t.Policy.Version {
		pol, err := terminal.ParsePolicy(a.Data)
		if err != nil {
			return nil, fmt.Errorf("stored policy bundle: %w", err)
		}
		t.Policy = *pol
	}
	return t, nil
}

// storedTrust returns the production snapshot in the store, as a document
// and parsed, or nils if there is none.
func (e *Engine) storedTrust() ([]byte, *terminal.Trust, error) {
	_, data, err := e.store.Trust(snapshotKind)
	if errors.Is(err, boltstore.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	t, err := terminal.ParseSnapshot(data)
	if err != nil {
		return nil, nil, fmt.Errorf("stored trust snapshot: %w", err)
	}
	if t.Demo {
		return nil, nil, nil
	}
	return data, t, nil
}

// readFile reads a snapshot, key or policy file: none is larger than a
// snapshot may be.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, terminal.MaxSnapshotSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > terminal.MaxSnapshotSize {
		return nil, fmt.Errorf("%s: over %d bytes", path, terminal.MaxSnapshotSize)
	}
	return data, nil
}
