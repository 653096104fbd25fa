// Package bundle is the signed update bundle: how an administrator's
// trust snapshot, revocation list, venue policy, device config or root
// set reaches a fleet of terminals over MQTT (docs/protocol.md, "Update
// bundles"). A bundle is a COSE_Sign1 message signed by a root key the
// device pins; its payload names the kind, a version that only rises, when
// it was issued and when it expires, the devices it targets, and the data.
//
// Open parses and verifies a bundle against a set of Roots; Sign makes
// one; an Updater decides, for a device, whether a bundle received on a
// topic is applied, and why not, with a stable reason code.
//
// # Caveats
//
// Versions are per kind across all targets: a bundle for one group and
// one for all devices compete, and the higher version wins on a device
// that receives both. Number them from one sequence per kind.
//
// A revocations delta applies only on top of its base version. A device
// that missed the base keeps reporting "waiting" until a full list of a
// higher version arrives.
package bundle

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal/cose"
)

// MaxSize bounds a bundle: a full revocation list of a million hashed
// serials fits.
const MaxSize = 96 << 20

// The kinds of update.
const (
	KindTrust       = "trust"       // a trust snapshot (docs/trust-snapshot.md)
	KindRevocations = "revocations" // a revocation list, full or a delta
	KindPolicy      = "policy"      // a venue policy (docs/policy.md)
	KindConfig      = "config"      // device settings (docs/protocol.md)
	KindRoots       = "roots"       // the root keys that may sign bundles
)

// Kinds lists the kinds, in the order a device applies them.
var Kinds = []string{KindRoots, KindTrust, KindRevocations, KindPolicy, KindConfig}

// Bundle is a signed update, as Open returns it verified or as Sign
// takes it.
type Bundle struct {
	Kind      string
	Version   uint64    // at least 1; rises with every bundle of Kind
	IssuedAt  time.Time // whole seconds
	ExpiresAt time.Time // after it the bundle is not applied; whole seconds
	Target    string    // "all", "group:G" or "device:D"
	// Base is, for a revocations delta, the version it applies to; zero
	// for a full bundle.
	Base    uint64
	Payload []byte

	// KID is the key id of the root that signed it (set by Open).
	KID []byte
	// Digest is SHA-256 of the whole signed bundle (set by Open): the
	// same bundle received again has the same digest.
	Digest [sha256.Size]byte
}

// payload is the signed content, a CBOR map with text keys.
type payload struct {
	V         int    `cbor:"v"`
	Kind      string `cbor:"kind"`
	Version   uint64 `cbor:"version"`
	IssuedAt  int64  `cbor:"issued_at"`
	ExpiresAt int64  `cbor:"expires_at"`
	Target    string `cbor:"target"`
	Base      uint64 `cbor:"base,omitempty"`
	Data      []byte `cbor:"payload"`
}

// Reason is why a bundle was or was not applied: a stable code that
// reports carry.
type Reason string

// The reasons.
const (
	Applied     Reason = "APPLIED"      // applied and in effect
	Malformed   Reason = "MALFORMED"    // not a bundle, or its payload does not parse
	RootUnknown Reason = "ROOT_UNKNOWN" // signed by a key that is not a root of this device
	SigInvalid  Reason = "SIG_INVALID"  // the signature does not verify
	WrongTarget Reason = "WRONG_TARGET" // for another device or group, or on the wrong topic
	Expired     Reason = "EXPIRED"      // past its expires_at
	NotNewer    Reason = "NOT_NEWER"    // not above the version held: a rollback or a replay
	DemoTrust   Reason = "DEMO_TRUST"   // a demo trust snapshot: never replaces a provisioned one
	BaseMissing Reason = "BASE_MISSING" // a delta whose base version the device does not hold
	StoreFailed Reason = "STORE_FAILED" // the device could not store it; it tries again when it is sent again
)

// Error is a bundle refused, with its reason.
type Error struct {
	Reason Reason
	Detail string
}

func (e *Error) Error() string { return "bundle: " + string(e.Reason) + ": " + e.Detail }

func refuse(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the reason of err: Applied for nil, the Error's reason,
// or StoreFailed for any other error.
func ReasonOf(err error) Reason {
	var e *Error
	switch {
	case err == nil:
		return Applied
	case errors.As(err, &e):
		return e.Reason
	}
	return StoreFailed
}

// Sign returns b signed by root: a tagged COSE_Sign1 message whose
// protected header names the algorithm and root's key id.
func Sign(b *Bundle, root *cose.Signer) ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	body, err := cose.EncMode.Marshal(payload{V: 1, Kind: b.Kind, Version: b.Version, IssuedAt: b.IssuedAt.Unix(),
		ExpiresAt: b.ExpiresAt.Unix(), Target: b.Target, Base: b.Base, Data: b.Payload})
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	kid, err := cose.KeyID(root.Public())
	if err != nil {
		return nil, err
	}
	msg, err := cose.Sign(rand.Reader, root, kid, body, nil)
	if err != nil {
		return nil, fmt.Errorf("bundle: sign: %w", err)
	}
	if len(msg) > MaxSize {
		return nil, fmt.Errorf("bundle: %d bytes, over %d", len(msg), MaxSize)
	}
	return msg, nil
}

// check reports what is wrong with b's fields, as a Malformed Error.
func (b *Bundle) check() error {
	switch {
	case !slices.Contains(Kinds, b.Kind):
		return refuse(Malformed, "kind %q: want one of %s", b.Kind, strings.Join(Kinds, ", "))
	case b.Version == 0:
		return refuse(Malformed, "version 0: versions start at 1")
	case b.IssuedAt.Unix() <= 0:
		return refuse(Malformed, "no issued_at")
	case !b.ExpiresAt.After(b.IssuedAt):
		return refuse(Malformed, "expires_at %v is not after issued_at %v", b.ExpiresAt, b.IssuedAt)
	case b.Base != 0 && b.Kind != KindRevocations:
		return refuse(Malformed, "only revocations take a base (a delta)")
	case b.Base != 0 && b.Base >= b.Version:
		return refuse(Malformed, "base %d is not below version %d", b.Base, b.Version)
	}
	if _, err := ParseTarget(b.Target); err != nil {
		return refuse(Malformed, "%v", err)
	}
	return nil
}

// Target is whom a bundle addresses.
type Target struct {
	Scope string // "all", "group" or "device"
	ID    string // the group or device; empty for all
}

// ParseTarget reads "all", "group:G" or "device:D".
func ParseTarget(s string) (Target, error) {
	scope, id, _ := strings.Cut(s, ":")
	switch {
	case s == "all":
		return Target{Scope: "all"}, nil
	case (scope == "group" || scope == "device") && wire.ValidID(id):
		return Target{Scope: scope, ID: id}, nil
	}
	return Target{}, fmt.Errorf("target %q: want all, group:G or device:D", s)
}

// Addresses reports whether t addresses a device of group.
func (t Target) Addresses(device, group string) bool {
	switch t.Scope {
	case "all":
		return true
	case "group":
		return group != "" && t.ID == group
	case "device":
		return t.ID == device
	}
	return false
}

// Roots are the keys that may sign bundles, by key id.
type Roots struct {
	keys map[string]*cose.Key
	pems [][]byte
}

// ParseRoots reads PEM "PUBLIC KEY" blocks: SM2, Ed25519 or ECDSA P-256
// root keys. At least one is required.
func ParseRoots(data []byte) (*Roots, error) {
	r := &Roots{keys: map[string]*cose.Key{}}
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("bundle: roots: not PEM")
		}
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("bundle: roots: a %s block, want PUBLIC KEY", block.Type)
		}
		pub, err := cose.ParsePublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bundle: roots: %w", err)
		}
		k, err := cose.NewKey(pub)
		if err != nil {
			return nil, fmt.Errorf("bundle: roots: %w", err)
		}
		if k.Alg == cose.PS256 {
			return nil, errors.New("bundle: roots: RSA roots are not supported; use SM2, Ed25519 or ECDSA P-256")
		}
		r.keys[string(cose.KeyIDOf(block.Bytes))] = k
		r.pems = append(r.pems, pem.EncodeToMemory(block))
		rest = bytes.TrimSpace(rest)
	}
	if len(r.keys) == 0 {
		return nil, errors.New("bundle: roots: no key")
	}
	return r, nil
}

// Len returns the number of root keys.
func (r *Roots) Len() int { return len(r.keys) }

// PEM returns the roots as PEM blocks, as ParseRoots reads them.
func (r *Roots) PEM() []byte { return bytes.Join(r.pems, nil) }

// Open parses data as a bundle and verifies its signature against roots.
// Its errors are *Error: Malformed, RootUnknown or SigInvalid. Nothing in
// data is trusted before the signature holds; expiry, target and version
// are the caller's to check (see Updater).
func Open(data []byte, roots *Roots) (*Bundle, error) {
	m, err := cose.DecodeSize(data, MaxSize)
	if err != nil {
		return nil, refuse(Malformed, "%v", err)
	}
	key := roots.keys[string(m.KID)]
	if key == nil {
		return nil, refuse(RootUnknown, "signed by key %x, not a root of this device", m.KID)
	}
	if m.Alg != key.Alg {
		return nil, refuse(SigInvalid, "algorithm %v, the root's is %v", m.Alg, key.Alg)
	}
	if err := m.Verify(key); err != nil {
		return nil, refuse(SigInvalid, "%v", err)
	}
	var p payload
	if err := cose.DecMode.Unmarshal(m.Payload, &p); err != nil {
		return nil, refuse(Malformed, "payload: %v", err)
	}
	if p.V != 1 {
		return nil, refuse(Malformed, "format version %d, want 1", p.V)
	}
	b := &Bundle{Kind: p.Kind, Version: p.Version, IssuedAt: time.Unix(p.IssuedAt, 0).UTC(),
		ExpiresAt: time.Unix(p.ExpiresAt, 0).UTC(), Target: p.Target, Base: p.Base, Payload: p.Data,
		KID: m.KID, Digest: sha256.Sum256(data)}
	if err := b.check(); err != nil {
		return nil, err
	}
	return b, nil
}
