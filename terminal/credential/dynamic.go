package credential

import (
	"crypto"
	"fmt"
	"io"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/fuscan/fuscan/terminal/cose"
)

// dynamicCode is the CBOR array an FSD1 text carries.
type dynamicCode struct {
	_          struct{} `cbor:",toarray"`
	Credential []byte   // the issuer's COSE_Sign1, as signed
	Step       int64    // the time step the holder signed
	HolderSig  []byte
}

// StepAt returns the dynamic-code time step that contains t.
func StepAt(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - StepSeconds + 1) / StepSeconds
	}
	return s / StepSeconds
}

// StepTime returns the start of step.
func StepTime(step int64) time.Time { return time.Unix(step*StepSeconds, 0).UTC() }

func parseDynamic(data []byte) (*Unverified, error) {
	var d dynamicCode
	if err := cose.DecMode.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("dynamic code: %w", err)
	}
	if d.Step < 0 {
		return nil, fmt.Errorf("dynamic code: negative step")
	}
	u, err := parseSigned(KindDynamic, d.Credential)
	if err != nil {
		return nil, err
	}
	if u.holderKey, err = holderKey(u.Claims.HolderKey); err != nil {
		return nil, err
	}
	u.Step = d.Step
	u.holderSig = d.HolderSig
	u.holderTBS = holderTBS(d.Credential, d.Step)
	return u, nil
}

// holderKey reads the holder's SPKI: an SM2, Ed25519 or P-256 key.
func holderKey(spki []byte) (*cose.Key, error) {
	pub, err := cose.ParsePublicKey(spki)
	if err != nil {
		return nil, fmt.Errorf("holder key: %w", err)
	}
	k, err := cose.NewKey(pub)
	if err != nil {
		return nil, fmt.Errorf("holder key: %w", err)
	}
	if k.Alg == cose.PS256 {
		return nil, fmt.Errorf("holder key: RSA is not a holder key algorithm")
	}
	return k, nil
}

// holderTBS returns the bytes the holder signs: the CBOR array
// ["FSD1", credential, step].
func holderTBS(credential []byte, step int64) []byte {
	b := make([]byte, 0, len(credential)+20)
	b = append(b, 0x83, 0x64, 'F', 'S', 'D', '1')
	b = appendHead(b, 0x40, uint64(len(credential)))
	b = append(b, credential...)
	return appendHead(b, 0x00, uint64(step))
}

// appendHead appends a CBOR head of the given major type (0x00 unsigned
// integer, 0x40 byte string) in its shortest form.
func appendHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|24, byte(n))
	case n <= 0xffff:
		return append(b, major|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, major|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, major|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// VerifyHolder checks the holder's signature over the step of a dynamic code.
func (u *Unverified) VerifyHolder() error {
	if u.Kind != KindDynamic {
		return fmt.Errorf("credential: a %v code has no holder signature", u.Kind)
	}
	return u.holderKey.Verify(u.holderTBS, u.holderSig)
}

// HolderSignature returns the holder's signature of a dynamic code; with the
// step it identifies one presentation, for replay detection.
func (u *Unverified) HolderSignature() []byte { return u.holderSig }

// Present returns the FSD1 text a holder's phone shows during step: the
// issuer's credential and the holder's signature over it and the step.
func Present(rand io.Reader, holder *cose.Signer, credential []byte, step int64) (string, error) {
	if holder.Alg == cose.PS256 {
		return "", fmt.Errorf("credential: RSA is not a holder key algorithm")
	}
	sig, err := holder.Sign(rand, holderTBS(credential, step))
	if err != nil {
		return "", err
	}
	data, err := cose.EncMode.Marshal(&dynamicCode{Credential: credential, Step: step, HolderSig: sig})
	if err != nil {
		return "", fmt.Errorf("credential: dynamic code: %w", err)
	}
	return Encode(KindDynamic, data), nil
}

func spkiOf(pub crypto.PublicKey) ([]byte, error) {
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("credential: holder key: %w", err)
	}
	return der, nil
}
