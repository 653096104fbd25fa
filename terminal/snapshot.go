package terminal

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fuscan/fuscan/terminal/credential"
)

// MaxSnapshotSize bounds a trust snapshot document.
const MaxSnapshotSize = 4 << 20

// SnapshotFormat is the value of a snapshot's "fuscan_trust" field: the
// version of the document format itself, not of the data it holds.
const SnapshotFormat = 1

// Snapshot is the JSON form of a trust snapshot (docs/trust-snapshot.md):
// what a terminal ships with or is provisioned with, so that it verifies
// from its first offline minute. Tools fill it in and call Marshal;
// terminals read the document with ParseSnapshot.
type Snapshot struct {
	Version   uint64          `json:"version"`             // at least 1
	IssuedAt  time.Time       `json:"issued_at"`           // required
	ExpiresAt time.Time       `json:"expires_at,omitzero"` // zero: never stale
	Demo      bool            `json:"demo,omitempty"`      // see Trust.Demo
	Keys      []SnapshotKey   `json:"keys"`                // trusted issuer keys
	Revoked   []string        `json:"revoked,omitempty"`   // as ParseRevocations reads them, one an entry
	Policy    json.RawMessage `json:"policy,omitempty"`    // a policy file (ParsePolicy); nil or null: the default policy
}

// SnapshotKey is one trusted key of a Snapshot. The PEM gives the key and
// what ParseKeys derives from it; the other fields may narrow that, never
// widen it.
type SnapshotKey struct {
	PEM       string    `json:"pem"`                 // one PUBLIC KEY or CERTIFICATE block
	Issuer    string    `json:"issuer,omitempty"`    // issuer id its credentials must carry; "": any
	Kinds     []string  `json:"kinds,omitempty"`     // credential.Kind names; nil: all the key may sign
	NotBefore time.Time `json:"not_before,omitzero"` // zero: open (a certificate's own)
	NotAfter  time.Time `json:"not_after,omitzero"`  // zero: open (a certificate's own)
	DCCTypes  []string  `json:"dcc_types,omitempty"` // certificates only: "v", "t", "r"; nil: all it allows
}

// snapshotFile is the document: the format version first, then the data.
type snapshotFile struct {
	FuscanTrust int `json:"fuscan_trust"`
	Snapshot
}

// Marshal returns the snapshot document, indented, with a final newline.
// The same snapshot always gives the same bytes. It fails when
// ParseSnapshot would reject the result.
func (s *Snapshot) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(snapshotFile{FuscanTrust: SnapshotFormat, Snapshot: *s}); err != nil {
		return nil, fmt.Errorf("trust snapshot: %w", err)
	}
	if _, err := ParseSnapshot(buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseSnapshot reads a trust snapshot document into a Trust. It is
// strict: unknown fields, a format other than SnapshotFormat, a key, kind,
// revocation entry or policy that does not parse, and a document over
// MaxSnapshotSize are errors naming the bad entry.
func ParseSnapshot(data []byte) (*Trust, error) {
	if len(data) > MaxSnapshotSize {
		return nil, fmt.Errorf("trust snapshot: larger than %d bytes", MaxSnapshotSize)
	}
	var f snapshotFile
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("trust snapshot: %w", err)
	}
	switch {
	case f.FuscanTrust != SnapshotFormat:
		return nil, fmt.Errorf("trust snapshot: fuscan_trust is %d, want %d", f.FuscanTrust, SnapshotFormat)
	case f.Version == 0:
		return nil, errors.New("trust snapshot: version must be at least 1")
	case f.IssuedAt.IsZero():
		return nil, errors.New("trust snapshot: issued_at missing")
	case !f.ExpiresAt.IsZero() && !f.ExpiresAt.After(f.IssuedAt):
		return nil, errors.New("trust snapshot: expires_at is not after issued_at")
	}
	t := &Trust{Version: f.Version, IssuedAt: f.IssuedAt, ExpiresAt: f.ExpiresAt, Demo: f.Demo}
	for i := range f.Keys {
		k, err := f.Keys[i].key()
		if err != nil {
			return nil, fmt.Errorf("trust snapshot: keys[%d]: %w", i, err)
		}
		t.AddKey(k)
	}
	for i, s := range f.Revoked {
		h, err := revocation(s)
		if err != nil {
			return nil, fmt.Errorf("trust snapshot: revoked[%d]: %w", i, err)
		}
		t.RevokeHash(h)
	}
	if f.Policy != nil && string(f.Policy) != "null" {
		p, err := ParsePolicy(f.Policy)
		if err != nil {
			return nil, fmt.Errorf("trust snapshot: %w", err)
		}
		t.Policy = *p
	}
	return t, nil
}

// revocation reads one entry of a snapshot's revoked list.
func revocation(s string) ([sha256.Size]byte, error) {
	switch {
	case s == "":
		return [sha256.Size]byte{}, errors.New("empty entry")
	case s != strings.TrimSpace(s) || strings.ContainsAny(s, "\r\n"):
		return [sha256.Size]byte{}, fmt.Errorf("entry %q has spaces or line breaks around or in it", s)
	case strings.HasPrefix(s, "#"):
		return [sha256.Size]byte{}, fmt.Errorf("entry %q starts with #", s)
	}
	hashes, err := ParseRevocations([]byte(s))
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return hashes[0], nil
}

// key returns the Key e describes.
func (e *SnapshotKey) key() (*Key, error) {
	if !strings.Contains(e.PEM, "-----BEGIN") {
		return nil, errors.New("pem: no PEM block")
	}
	keys, err := ParseKeys([]byte(e.PEM))
	if err != nil {
		return nil, fmt.Errorf("pem: %w", err)
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("pem: %d keys, want 1", len(keys))
	}
	k := keys[0]
	if len(e.Issuer) > 64 {
		return nil, errors.New("issuer: longer than 64 bytes")
	}
	k.Issuer = e.Issuer
	if e.Kinds != nil {
		if k.Kinds, err = narrowKinds(k.Kinds, e.Kinds); err != nil {
			return nil, err
		}
	}
	if err := narrowWindow(k, e.NotBefore, e.NotAfter); err != nil {
		return nil, err
	}
	if e.DCCTypes != nil {
		if k.DCCTypes, err = narrowDCCTypes(k, e.DCCTypes); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// narrowKinds returns the kinds named, each of which the key may sign.
func narrowKinds(may []credential.Kind, names []string) ([]credential.Kind, error) {
	if len(names) == 0 {
		return nil, errors.New("kinds: empty (leave it out for every kind the key may sign)")
	}
	var kinds []credential.Kind
	for _, name := range names {
		kind, err := credential.ParseKind(name)
		if err != nil {
			return nil, fmt.Errorf("kinds: %w", err)
		}
		if !slices.Contains(may, kind) {
			return nil, fmt.Errorf("kinds: this key cannot sign %v credentials (a public key signs live, card and dynamic, a certificate dcc)", kind)
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	return kinds, nil
}

// narrowWindow sets k's validity window to [from, to], where given; a
// certificate's window may only shrink.
func narrowWindow(k *Key, from, to time.Time) error {
	if !from.IsZero() {
		if !k.NotBefore.IsZero() && from.Before(k.NotBefore) {
			return fmt.Errorf("not_before %s is before the certificate's %s", from.UTC().Format(time.RFC3339), k.NotBefore.UTC().Format(time.RFC3339))
		}
		k.NotBefore = from
	}
	if !to.IsZero() {
		if !k.NotAfter.IsZero() && to.After(k.NotAfter) {
			return fmt.Errorf("not_after %s is after the certificate's %s", to.UTC().Format(time.RFC3339), k.NotAfter.UTC().Format(time.RFC3339))
		}
		k.NotAfter = to
	}
	if !k.NotBefore.IsZero() && !k.NotAfter.IsZero() && k.NotAfter.Before(k.NotBefore) {
		return errors.New("not_after is before not_before")
	}
	return nil
}

// narrowDCCTypes returns the DCC types named, each of which certificate
// key k may sign.
func narrowDCCTypes(k *Key, names []string) ([]string, error) {
	switch {
	case !slices.Contains(k.Kinds, credential.KindDCC):
		return nil, errors.New("dcc_types: only for an EU DCC signing certificate")
	case len(names) == 0:
		return nil, errors.New("dcc_types: empty (leave it out for every type the certificate allows)")
	}
	var types []string
	for _, typ := range names {
		if typ != "v" && typ != "t" && typ != "r" {
			return nil, fmt.Errorf("dcc_types: unknown type %q (want v, t or r)", typ)
		}
		if len(k.DCCTypes) > 0 && !slices.Contains(k.DCCTypes, typ) {
			return nil, fmt.Errorf("dcc_types: the certificate's key usage does not allow type %q", typ)
		}
		if !slices.Contains(types, typ) {
			types = append(types, typ)
		}
	}
	return types, nil
}
