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

// maxTrustFile bounds a key or policy file.
const maxTrustFile = 4 << 20

// loadTrust builds the trust the terminal verifies with: the configured
// snapshot (or the one built in) or the one in the store, then the
// configured extra keys and policy. A production snapshot is stored when
// it is newer than the stored one, so the device keeps it without the
// file; an older one is ignored with a warning, since trust data never
// rolls back. A demo snapshot is never stored and never replaces a stored
// production one: once provisioned, a device does not fall back to keys
// anyone can sign with.
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
	switch {
	case stored != nil && (trust.Demo || stored.Version > trust.Version):
		if e.cfg.Trust != "" {
			e.logger.Warn("trust snapshot file ignored: the stored one is newer, or the file is a demo snapshot",
				"file", e.cfg.Trust, "file_version", trust.Version, "file_demo", trust.Demo, "stored_version", stored.Version)
		}
		trust, from = stored, "store"
	case !trust.Demo && (stored == nil || trust.Version > stored.Version):
		if err := e.store.PutTrust(snapshotKind, trust.Version, data); err != nil {
			return err
		}
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

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTrustFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxTrustFile {
		return nil, fmt.Errorf("%s: over %d bytes", path, maxTrustFile)
	}
	return data, nil
}
