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

// loadTrust builds the trust the terminal verifies with: the configured
// snapshot (or the one built in) or the one in the store, then the
// configured extra keys and policy. A snapshot that may replace the stored
// one (terminal.Trust.Replaces: newer, and not a demo) is stored, so the
// device keeps it without the file; otherwise the stored one is used, and
// a file that lost is ignored with a warning. A demo snapshot is used only
// while nothing is provisioned.
func (e *Engine) loadTrust() error {
	data, from := firmwareconfig.DefaultTrust(), "built-in snapshot"
	if e.cfg.Trust != "" {
		var err error
		if data, err = readFile(e.cfg.Trust); err != nil {
			return fmt.Errorf("trust snapshot: %w", err)
		}
		from = e.cfg.Trust
	}
	trust, err := terminal.ParseSnapshot(data)
	if err != nil {
		return fmt.Errorf("trust snapshot %s: %w", from, err)
	}
	stored, err := e.storedTrust()
	if err != nil {
		return err
	}
	switch err := trust.Replaces(stored); {
	case err == nil:
		if err := e.store.PutTrust(snapshotKind, trust.Version, data); err != nil {
			return err
		}
	case stored != nil:
		if e.cfg.Trust != "" && stored.Version != trust.Version {
			e.logger.Warn("trust snapshot file ignored: "+err.Error(),
				"file", e.cfg.Trust, "file_version", trust.Version, "file_demo", trust.Demo, "stored_version", stored.Version)
		}
		trust, from = stored, "store"
	}
	for _, path := range e.cfg.Keys {
		data, err := readFile(path)
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		keys, err := terminal.ParseKeys(data)
		if err != nil {
			return fmt.Errorf("keys %s: %w", path, err)
		}
		for _, k := range keys {
			trust.AddKey(k)
		}
	}
	if e.cfg.Policy != "" {
		data, err := readFile(e.cfg.Policy)
		if err != nil {
			return fmt.Errorf("policy: %w", err)
		}
		p, err := terminal.ParsePolicy(data)
		if err != nil {
			return fmt.Errorf("policy %s: %w", e.cfg.Policy, err)
		}
		trust.Policy = *p
	}
	e.trust = trust
	e.logger.Info("trust loaded", "from", from, "version", trust.Version, "keys", trust.KeyCount(),
		"expires", trust.ExpiresAt, "policy_version", trust.Policy.Version)
	if trust.Demo {
		e.logger.Warn("TRUSTING THE PUBLISHED DEMO KEYS: anyone can make codes that pass; provision a production trust snapshot (trust in the config file)")
	}
	return nil
}

// storedTrust returns the production snapshot in the store, or nil if
// there is none.
func (e *Engine) storedTrust() (*terminal.Trust, error) {
	_, data, err := e.store.Trust(snapshotKind)
	if errors.Is(err, boltstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := terminal.ParseSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("stored trust snapshot: %w", err)
	}
	if t.Demo {
		return nil, nil
	}
	return t, nil
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
