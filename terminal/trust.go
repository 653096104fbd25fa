package terminal

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// Key is a trusted issuer key and what it may sign.
type Key struct {
	KID       []byte
	Verifier  *cose.Key
	Issuer    string            // the issuer id its credentials must carry; "": any
	Kinds     []credential.Kind // kinds it may sign; nil: any
	NotBefore time.Time         // it may sign credentials issued in [NotBefore, NotAfter]; zero: open
	NotAfter  time.Time
	DCCTypes  []string // EU DCC signing certificates: the types ("v", "t", "r") its key usage allows; nil: all
}

// allows reports why k may not sign credential u, or "" when it may.
func (k *Key) allows(c *credential.Claims, dcc *credential.DCC) string {
	switch {
	case len(k.Kinds) > 0 && !slices.Contains(k.Kinds, c.Kind):
		return fmt.Sprintf("key may not sign %v credentials", c.Kind)
	case k.Issuer != "" && k.Issuer != c.Issuer:
		return fmt.Sprintf("key belongs to issuer %q, credential names %q", k.Issuer, c.Issuer)
	case !k.NotBefore.IsZero() && c.IssuedAt.Before(k.NotBefore):
		return "credential issued before the key's validity"
	case !k.NotAfter.IsZero() && c.IssuedAt.After(k.NotAfter):
		return "credential issued after the key's validity"
	case dcc != nil && len(k.DCCTypes) > 0 && !slices.Contains(k.DCCTypes, dcc.Type):
		return fmt.Sprintf("signing certificate may not sign DCC type %q", dcc.Type)
	}
	return ""
}

// Trust is a snapshot of the data verification relies on: issuer keys,
// revoked serials and the venue policy. Build it, then hand it to a
// Verifier and do not change it: verifiers read it from many goroutines.
// The zero value trusts nothing and applies the default policy.
type Trust struct {
	Version   uint64
	IssuedAt  time.Time // when the data was issued; zero: unknown
	ExpiresAt time.Time // after it the data is stale (Policy.StaleTrust); zero: never
	Policy    Policy
	// Demo reports that the data trusts the published demo keys (package
	// terminal/sample): anyone can forge codes that pass. Never for
	// production.
	Demo bool

	keys    map[string][]*Key
	revoked map[[sha256.Size]byte]struct{}
}

// AddKey trusts k. Several keys may share a kid; each is tried.
func (t *Trust) AddKey(k *Key) {
	if t.keys == nil {
		t.keys = map[string][]*Key{}
	}
	t.keys[string(k.KID)] = append(t.keys[string(k.KID)], k)
}

// Keys returns the keys with kid.
func (t *Trust) Keys(kid []byte) []*Key { return t.keys[string(kid)] }

// KeyCount returns how many keys t trusts.
func (t *Trust) KeyCount() int {
	n := 0
	for _, ks := range t.keys {
		n += len(ks)
	}
	return n
}

// Revoke adds a card serial (or DCC certificate identifier) to the
// revocation set. Only its hash is kept.
func (t *Trust) Revoke(serial string) {
	if t.revoked == nil {
		t.revoked = map[[sha256.Size]byte]struct{}{}
	}
	t.revoked[RevocationHash(serial)] = struct{}{}
}

// RevokeHash adds a serial's RevocationHash to the revocation set.
func (t *Trust) RevokeHash(h [sha256.Size]byte) {
	if t.revoked == nil {
		t.revoked = map[[sha256.Size]byte]struct{}{}
	}
	t.revoked[h] = struct{}{}
}

// IsRevoked reports whether serial is revoked.
func (t *Trust) IsRevoked(serial string) bool {
	_, ok := t.revoked[RevocationHash(serial)]
	return ok
}

// RevocationHash is how revocation lists name a serial: SHA-256 of its
// UTF-8 bytes, so lists do not spread the serials themselves.
func RevocationHash(serial string) [sha256.Size]byte { return sha256.Sum256([]byte(serial)) }

// ParseRevocations reads a revocation list: one entry per line, either a
// serial as printed on the card, or "sha256:" and the 64 hex digits of its
// RevocationHash (so a published list need not spread the serials). Blank
// lines and lines starting with # are skipped; surrounding spaces are not
// part of an entry.
func ParseRevocations(data []byte) ([][sha256.Size]byte, error) {
	var hashes [][sha256.Size]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if len(s) > 128 {
			return nil, fmt.Errorf("revocations: line %d: entry longer than 128 bytes", line)
		}
		if len(s) >= 7 && strings.EqualFold(s[:7], "sha256:") {
			hexHash := s[7:]
			var h [sha256.Size]byte
			if len(hexHash) != hex.EncodedLen(sha256.Size) {
				return nil, fmt.Errorf("revocations: line %d: sha256: needs 64 hex digits", line)
			}
			if _, err := hex.Decode(h[:], []byte(hexHash)); err != nil {
				return nil, fmt.Errorf("revocations: line %d: sha256: needs 64 hex digits", line)
			}
			hashes = append(hashes, h)
			continue
		}
		hashes = append(hashes, RevocationHash(s))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("revocations: %w", err)
	}
	return hashes, nil
}

// OIDs of the extended key usages that restrict an EU DCC signing
// certificate to test, vaccination or recovery certificates (both the
// current and the older arc).
var dccKeyUsages = map[string]string{
	"1.3.6.1.4.1.1847.2021.1.1":   "t",
	"1.3.6.1.4.1.1847.2021.1.2":   "v",
	"1.3.6.1.4.1.1847.2021.1.3":   "r",
	"1.3.6.1.4.1.0.1847.2021.1.1": "t",
	"1.3.6.1.4.1.0.1847.2021.1.2": "v",
	"1.3.6.1.4.1.0.1847.2021.1.3": "r",
}

// DCCKeyUsage returns the extended-key-usage OID that allows a signing
// certificate to sign DCCs of type typ ("v", "t" or "r").
func DCCKeyUsage(typ string) asn1.ObjectIdentifier {
	last := map[string]int{"t": 1, "v": 2, "r": 3}[typ]
	return asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 1847, 2021, 1, last}
}

// ParseKeys reads trusted keys from a file: PEM "PUBLIC KEY" blocks (issuer
// keys of fuscan's own formats; kid from the SPKI) and X.509 certificates,
// PEM or DER (EU DCC signing certificates; kid from the certificate, the
// validity window and key usages from its fields).
func ParseKeys(data []byte) ([]*Key, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		k, err := certKey(data)
		if err != nil {
			return nil, fmt.Errorf("keys: neither PEM nor a DER certificate: %w", err)
		}
		return []*Key{k}, nil
	}
	var keys []*Key
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var k *Key
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			k, err = publicKey(block.Bytes)
		case "CERTIFICATE":
			k, err = certKey(block.Bytes)
		default:
			err = fmt.Errorf("unexpected PEM block %q (want PUBLIC KEY or CERTIFICATE)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("keys: block %d: %w", len(keys)+1, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("keys: no PEM block found")
	}
	return keys, nil
}

func publicKey(der []byte) (*Key, error) {
	pub, err := cose.ParsePublicKey(der)
	if err != nil {
		return nil, err
	}
	v, err := cose.NewKey(pub)
	if err != nil {
		return nil, err
	}
	if v.Alg == cose.PS256 {
		return nil, fmt.Errorf("an RSA public key signs only EU DCCs: give its X.509 certificate instead")
	}
	return &Key{KID: cose.KeyIDOf(der), Verifier: v,
		Kinds: []credential.Kind{credential.KindLive, credential.KindCard, credential.KindDynamic}}, nil
}

func certKey(der []byte) (*Key, error) {
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	v, err := cose.NewKey(cert.PublicKey)
	if err != nil {
		return nil, err
	}
	k := &Key{KID: cose.KeyIDOf(cert.Raw), Verifier: v, Kinds: []credential.Kind{credential.KindDCC},
		NotBefore: cert.NotBefore, NotAfter: cert.NotAfter}
	for _, oid := range cert.UnknownExtKeyUsage {
		if typ, ok := dccKeyUsages[oid.String()]; ok && !slices.Contains(k.DCCTypes, typ) {
			k.DCCTypes = append(k.DCCTypes, typ)
		}
	}
	return k, nil
}
