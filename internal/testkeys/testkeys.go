// Package testkeys gives tests signing keys: one per algorithm shared by
// the whole test binary (RSA keys take seconds to make), and fresh ones
// for holders and untrusted issuers. Tests only: the keys are random and
// trusted by nothing.
package testkeys

import (
	"crypto"
	"crypto/rand"
	"sync"
	"testing"

	"github.com/fuscan/fuscan/terminal/cose"
)

var (
	issuersMu sync.Mutex
	issuers   = map[cose.Algorithm]*cose.Signer{}
)

// Issuer returns the test binary's signing key for alg, made at the first
// call.
func Issuer(t testing.TB, alg cose.Algorithm) *cose.Signer {
	t.Helper()
	issuersMu.Lock()
	defer issuersMu.Unlock()
	if s, ok := issuers[alg]; ok {
		return s
	}
	s := New(t, alg)
	issuers[alg] = s
	return s
}

// New returns a fresh signing key for alg.
func New(t testing.TB, alg cose.Algorithm) *cose.Signer {
	t.Helper()
	_, s := NewPair(t, alg)
	return s
}

// NewPair returns a fresh private key for alg and its signer, for tests
// that also sign something else with the key, such as a certificate.
func NewPair(t testing.TB, alg cose.Algorithm) (crypto.Signer, *cose.Signer) {
	t.Helper()
	priv, err := cose.GenerateKey(rand.Reader, alg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cose.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, s
}

// PublicPEM returns s's public key as the PEM a key file holds.
func PublicPEM(t testing.TB, s *cose.Signer) []byte {
	t.Helper()
	p, err := cose.MarshalPublicKeyPEM(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Verifier returns the verification key of s.
func Verifier(t testing.TB, s *cose.Signer) *cose.Key {
	t.Helper()
	k, err := cose.NewKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return k
}
