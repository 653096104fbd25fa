package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Algorithm is a COSE algorithm identifier.
type Algorithm int64

// The algorithms fuscan signs and verifies with.
const (
	ES256 Algorithm = -7  // ECDSA P-256 with SHA-256 (RFC 9053)
	EdDSA Algorithm = -8  // Ed25519 (RFC 9053)
	PS256 Algorithm = -37 // RSASSA-PSS with SHA-256, salt of 32 bytes (RFC 8230)
	// SM2SM3 is SM2 with SM3 (GB/T 32918, GB/T 35276), user ID
	// 1234567812345678, signature r||s of 32 bytes each. The value is from
	// COSE's private-use range (below -65536).
	SM2SM3 Algorithm = -65537
)

// DefaultSM2UID is the SM2 signer user ID that GB/T 35276 sets as default.
var DefaultSM2UID = []byte("1234567812345678")

// ErrSignature is returned, wrapped, when a signature does not verify.
var ErrSignature = errors.New("cose: signature does not verify")

// String returns the algorithm's usual name.
func (a Algorithm) String() string {
	switch a {
	case ES256:
		return "ES256"
	case EdDSA:
		return "EdDSA"
	case PS256:
		return "PS256"
	case SM2SM3:
		return "SM2"
	}
	return fmt.Sprintf("alg(%d)", int64(a))
}

// ParseAlgorithm returns the algorithm named s, as written by String or by
// the command line ("sm2", "ed25519", "es256", "ps256").
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "sm2", "SM2", "SM2SM3":
		return SM2SM3, nil
	case "ed25519", "Ed25519", "EdDSA", "eddsa":
		return EdDSA, nil
	case "es256", "ES256", "p256", "P-256":
		return ES256, nil
	case "ps256", "PS256", "rsa":
		return PS256, nil
	}
	return 0, fmt.Errorf("cose: unknown algorithm %q (want sm2, ed25519, es256 or ps256)", s)
}

// AlgorithmOf returns the algorithm that signs with a key of pub's type.
func AlgorithmOf(pub crypto.PublicKey) (Algorithm, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return EdDSA, nil
	case *rsa.PublicKey:
		return PS256, nil
	case *ecdsa.PublicKey:
		switch {
		case k.Curve == elliptic.P256():
			return ES256, nil
		case sm2.IsSM2PublicKey(k):
			return SM2SM3, nil
		}
		return 0, fmt.Errorf("cose: unsupported curve %s", k.Curve.Params().Name)
	}
	return 0, fmt.Errorf("cose: unsupported public key type %T", pub)
}

// Key is a public key ready to verify signatures of one algorithm.
type Key struct {
	Alg    Algorithm
	Public crypto.PublicKey
	za     []byte // SM2: the signer identity hash Z_A, computed once
}

// NewKey returns a verification key for pub, whose algorithm is implied by
// its type. RSA keys shorter than 2048 bits are refused.
func NewKey(pub crypto.PublicKey) (*Key, error) {
	alg, err := AlgorithmOf(pub)
	if err != nil {
		return nil, err
	}
	k := &Key{Alg: alg, Public: pub}
	switch alg {
	case SM2SM3:
		if k.za, err = sm2.CalculateZA(pub.(*ecdsa.PublicKey), DefaultSM2UID); err != nil {
			return nil, fmt.Errorf("cose: sm2 key: %w", err)
		}
	case PS256:
		if n := pub.(*rsa.PublicKey).N.BitLen(); n < 2048 {
			return nil, fmt.Errorf("cose: rsa key of %d bits is too short", n)
		}
	}
	return k, nil
}

// Verify checks sig over msg. msg is the full to-be-signed byte string; sig is
// in COSE form (r||s for the elliptic-curve algorithms).
func (k *Key) Verify(msg, sig []byte) error {
	if !k.verify(msg, sig) {
		return ErrSignature
	}
	return nil
}

func (k *Key) verify(msg, sig []byte) bool {
	switch k.Alg {
	case EdDSA:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.Public.(ed25519.PublicKey), msg, sig)
	case ES256:
		der, ok := rsToASN1(sig, 32)
		h := sha256.Sum256(msg)
		return ok && ecdsa.VerifyASN1(k.Public.(*ecdsa.PublicKey), h[:], der)
	case SM2SM3:
		der, ok := rsToASN1(sig, 32)
		if !ok {
			return false
		}
		h := sm3.New()
		h.Write(k.za)
		h.Write(msg)
		return sm2.VerifyASN1(k.Public.(*ecdsa.PublicKey), h.Sum(nil), der)
	case PS256:
		h := sha256.Sum256(msg)
		pub := k.Public.(*rsa.PublicKey)
		return len(sig) == pub.Size() && rsa.VerifyPSS(pub, crypto.SHA256, h[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	}
	return false
}

// Signer signs with a private key; it is what issuers use.
type Signer struct {
	Alg  Algorithm
	priv crypto.Signer
}

// NewSigner returns a signer for priv: an *sm2.PrivateKey,
// *ecdsa.PrivateKey (P-256), ed25519.PrivateKey or *rsa.PrivateKey.
func NewSigner(priv crypto.Signer) (*Signer, error) {
	alg, err := AlgorithmOf(priv.Public())
	if err != nil {
		return nil, err
	}
	if alg == SM2SM3 {
		if _, ok := priv.(*sm2.PrivateKey); !ok {
			return nil, fmt.Errorf("cose: sm2 curve key of type %T is not an *sm2.PrivateKey", priv)
		}
	}
	return &Signer{Alg: alg, priv: priv}, nil
}

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.priv.Public() }

// Sign returns the COSE-form signature of msg, drawing randomness from
// rand (nil: crypto/rand.Reader).
func (s *Signer) Sign(rand io.Reader, msg []byte) ([]byte, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	switch s.Alg {
	case EdDSA:
		return ed25519.Sign(s.priv.(ed25519.PrivateKey), msg), nil
	case ES256:
		h := sha256.Sum256(msg)
		der, err := ecdsa.SignASN1(rand, s.priv.(*ecdsa.PrivateKey), h[:])
		if err != nil {
			return nil, fmt.Errorf("cose: es256 sign: %w", err)
		}
		return asn1ToRS(der, 32)
	case SM2SM3:
		der, err := s.priv.(*sm2.PrivateKey).SignWithSM2(rand, DefaultSM2UID, msg)
		if err != nil {
			return nil, fmt.Errorf("cose: sm2 sign: %w", err)
		}
		return asn1ToRS(der, 32)
	case PS256:
		h := sha256.Sum256(msg)
		sig, err := rsa.SignPSS(rand, s.priv.(*rsa.PrivateKey), crypto.SHA256, h[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			return nil, fmt.Errorf("cose: ps256 sign: %w", err)
		}
		return sig, nil
	}
	return nil, fmt.Errorf("cose: cannot sign with %v", s.Alg)
}

// rsToASN1 turns a fixed-size r||s signature into the DER SEQUENCE that the
// Go verifiers take. It reports false when sig has the wrong length.
func rsToASN1(sig []byte, size int) ([]byte, bool) {
	if len(sig) != 2*size {
		return nil, false
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[:size]))
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[size:]))
	})
	der, err := b.Bytes()
	return der, err == nil
}

// asn1ToRS turns a DER ECDSA/SM2 signature into r||s of size bytes each.
func asn1ToRS(der []byte, size int) ([]byte, error) {
	var r, s big.Int
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return nil, errors.New("cose: malformed der signature")
	}
	if r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 8*size || s.BitLen() > 8*size {
		return nil, errors.New("cose: signature value out of range")
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}
