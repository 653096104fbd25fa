package terminal

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
)

// The reasons Trust.Replaces refuses a snapshot.
var (
	// ErrNotNewer is trust data whose version is not above the one in
	// use: a rollback, or old data offered again.
	ErrNotNewer = errors.New("version is not newer than the one in use")
	// ErrDemoTrust is a demo snapshot offered to a terminal that holds a
	// provisioned one.
	ErrDemoTrust = errors.New("a demo snapshot never replaces a provisioned one")
)

// Replaces reports whether t may replace cur, the snapshot a terminal
// holds (nil: none provisioned yet), and why not. Trust data never rolls
// back: t must be of a higher version than cur. A demo snapshot never
// replaces a provisioned one, whatever its version, so that a device once
// provisioned never falls back to keys anyone can sign with; and it is
// never itself worth keeping, so it replaces nothing. A provisioned
// snapshot replaces a demo one of any version.
//
// Both local snapshot files and signed updates from the hub go through
// this one rule.
func (t *Trust) Replaces(cur *Trust) error {
	switch {
	case t.Demo:
		return ErrDemoTrust
	case cur == nil || cur.Demo:
		return nil
	case t.Version <= cur.Version:
		return fmt.Errorf("trust version %d, in use %d: %w", t.Version, cur.Version, ErrNotNewer)
	}
	return nil
}

// ParseRevocationDelta reads a change to a revocation list: one entry per
// line, "+" and an entry to revoke, or "-" and an entry to lift, each entry
// as ParseRevocations reads it. Blank lines and lines starting with # are
// skipped.
func ParseRevocationDelta(data []byte) (add, remove [][sha256.Size]byte, err error) {
	var plus, minus []byte
	for i, line := range strings.Split(string(data), "\n") {
		s := strings.TrimSpace(line)
		switch {
		case s == "" || strings.HasPrefix(s, "#"):
		case s[0] == '+':
			plus = append(append(plus, s[1:]...), '\n')
		case s[0] == '-':
			minus = append(append(minus, s[1:]...), '\n')
		default:
			return nil, nil, fmt.Errorf("revocations delta: line %d: want + or - and an entry", i+1)
		}
	}
	if add, err = ParseRevocations(plus); err != nil {
		return nil, nil, fmt.Errorf("revocations delta: added: %w", err)
	}
	if remove, err = ParseRevocations(minus); err != nil {
		return nil, nil, fmt.Errorf("revocations delta: lifted: %w", err)
	}
	return add, remove, nil
}
