package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// KIDSize is the length of a key id: the first 8 bytes of SHA-256 over the
// key's DER SubjectPublicKeyInfo (for EU DCC: over the DER certificate).
const KIDSize = 8

// KeyID returns the key id of pub.
func KeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("cose: key id: %w", err)
	}
	return KeyIDOf(der), nil
}

// KeyIDOf returns the key id for DER bytes: an SPKI, or a DCC certificate.
func KeyIDOf(der []byte) []byte {
	sum := sha256.Sum256(der)
	return sum[:KIDSize]
}

// GenerateKey returns a new private key for alg.
func GenerateKey(rand io.Reader, alg Algorithm) (crypto.Signer, error) {
	switch alg {
	case SM2SM3:
		return sm2.GenerateKey(rand)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand)
		return priv, err
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand)
	case PS256:
		return rsa.GenerateKey(rand, 2048)
	}
	return nil, fmt.Errorf("cose: cannot generate a key for %v", alg)
}

// MarshalPrivateKeyPEM returns priv as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKeyPEM(priv crypto.Signer) ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("cose: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKeyPEM returns pub as an SPKI "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(pub crypto.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("cose: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM reads a PKCS#8 private key (SM2, P-256, Ed25519 or RSA)
// from PEM and returns its signer.
func ParsePrivateKeyPEM(data []byte) (*Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("cose: no PKCS#8 \"PRIVATE KEY\" PEM block")
	}
	key, err := smx509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("cose: private key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("cose: private key of type %T cannot sign", key)
	}
	return NewSigner(signer)
}

// ParsePublicKey reads a DER SubjectPublicKeyInfo.
func ParsePublicKey(der []byte) (crypto.PublicKey, error) {
	pub, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("cose: public key: %w", err)
	}
	return pub, nil
}
