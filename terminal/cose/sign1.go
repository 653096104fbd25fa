package cose

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
)

// Header labels (RFC 9052 section 3.1).
const (
	labelAlg  = 1
	labelCrit = 2
	labelCty  = 3
	labelKID  = 4
)

// MaxMessageSize bounds the size of a message Decode accepts.
const MaxMessageSize = 16 << 10

// ErrMalformed is returned, wrapped, for bytes that are not a well-formed
// COSE_Sign1 message within this package's limits.
var ErrMalformed = errors.New("cose: malformed message")

// ErrUnsupported is returned, wrapped, for a well-formed message with a
// critical header this package does not understand. (An unknown algorithm
// decodes; no key will verify it.)
var ErrUnsupported = errors.New("cose: unsupported message")

// DecMode decodes the CBOR of COSE headers and payload claims strictly:
// unique map keys, no tags, bounded nesting, array and map sizes. Other
// packages decode their claims with it so that every byte is held to the
// same rules.
var DecMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  8,
		MaxArrayElements: 64,
		MaxMapPairs:      64,
		IntDec:           cbor.IntDecConvertSigned,
		UTF8:             cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// EncMode encodes CBOR in the core deterministic form of RFC 8949.
var EncMode = func() cbor.EncMode {
	m, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// UnverifiedSign1 is a decoded COSE_Sign1 message whose signature has not
// been checked. Nothing in it may be trusted before Verify returns nil.
type UnverifiedSign1 struct {
	Alg     Algorithm // from the protected header
	KID     []byte    // from the protected header, else the unprotected one
	Payload []byte

	protected []byte // the serialized protected header, as received
	signature []byte
}

type sign1 struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected header
	Payload     []byte
	Signature   []byte
}

// header holds the labels this package reads; other labels, and text
// labels, are ignored unless a crit list names them. A present label
// decodes to non-nil raw bytes.
type header struct {
	Alg  *int64          `cbor:"1,keyasint,omitempty"`
	Crit cbor.RawMessage `cbor:"2,keyasint,omitempty"`
	Cty  cbor.RawMessage `cbor:"3,keyasint,omitempty"`
	KID  []byte          `cbor:"4,keyasint,omitempty"` // absent: nil; empty: non-nil
}

// DecodeOptions tunes DecodeWith; nil means Decode's rules.
type DecodeOptions struct {
	// MaxSize bounds the message. Zero: MaxMessageSize.
	MaxSize int
	// ProtectedKIDWins accepts a kid in both headers and takes the
	// protected one, ignoring the other, as the EU DCC specification has
	// it. Zero: a kid in both headers is malformed.
	ProtectedKIDWins bool
}

// Decode parses a COSE_Sign1 message of at most MaxMessageSize bytes,
// tagged (18, optionally inside CWT tag 61) or not.
func Decode(data []byte) (*UnverifiedSign1, error) { return DecodeWith(data, nil) }

// DecodeSize is Decode for messages of up to maxSize bytes, such as the
// signed update bundles a terminal receives over the network.
func DecodeSize(data []byte, maxSize int) (*UnverifiedSign1, error) {
	return DecodeWith(data, &DecodeOptions{MaxSize: maxSize})
}

// DecodeWith is Decode under opts.
func DecodeWith(data []byte, opts *DecodeOptions) (*UnverifiedSign1, error) {
	if opts == nil {
		opts = &DecodeOptions{}
	}
	maxSize := opts.MaxSize
	if maxSize == 0 {
		maxSize = MaxMessageSize
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(data), maxSize)
	}
	data = bytes.TrimPrefix(data, []byte{0xd8, 0x3d}) // tag 61, CWT
	data = bytes.TrimPrefix(data, []byte{0xd2})       // tag 18, COSE_Sign1
	if len(data) == 0 || data[0] != 0x84 {
		return nil, fmt.Errorf("%w: not a four-item array", ErrMalformed)
	}
	var raw sign1
	if err := DecMode.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if raw.Payload == nil {
		return nil, fmt.Errorf("%w: detached or empty payload", ErrMalformed)
	}
	if raw.Signature == nil {
		return nil, fmt.Errorf("%w: no signature", ErrMalformed)
	}
	m := &UnverifiedSign1{Payload: raw.Payload, protected: raw.Protected, signature: raw.Signature}
	if err := m.readHeaders(&raw.Unprotected, opts.ProtectedKIDWins); err != nil {
		return nil, err
	}
	return m, nil
}

// readHeaders takes the algorithm and kid from the headers and enforces the
// rules on critical and duplicated labels; kidTwice allows a kid in both
// headers (the protected one counts).
func (m *UnverifiedSign1) readHeaders(unprotected *header, kidTwice bool) error {
	var protected header
	if len(m.protected) > 0 {
		if m.protected[0]&0xe0 != 0xa0 {
			return fmt.Errorf("%w: protected header is not a map", ErrMalformed)
		}
		if err := DecMode.Unmarshal(m.protected, &protected); err != nil {
			return fmt.Errorf("%w: protected header: %v", ErrMalformed, err)
		}
	}
	switch {
	case unprotected.Alg != nil, unprotected.Cty != nil && protected.Cty != nil,
		unprotected.KID != nil && protected.KID != nil && !kidTwice:
		return fmt.Errorf("%w: header label both protected and unprotected, or alg unprotected", ErrMalformed)
	case unprotected.Crit != nil:
		return fmt.Errorf("%w: crit in the unprotected header", ErrMalformed)
	case protected.Alg == nil:
		return fmt.Errorf("%w: no algorithm in the protected header", ErrMalformed)
	}
	if err := checkCrit(&protected); err != nil {
		return err
	}
	m.Alg = Algorithm(*protected.Alg)
	m.KID = protected.KID
	if m.KID == nil {
		m.KID = unprotected.KID
	}
	if m.KID != nil && len(m.KID) == 0 {
		return fmt.Errorf("%w: kid must be a non-empty byte string", ErrMalformed)
	}
	return nil
}

// checkCrit rejects a critical-header list that names a label this package
// does not process.
func checkCrit(protected *header) error {
	if protected.Crit == nil {
		return nil
	}
	var crit []int64
	if err := DecMode.Unmarshal(protected.Crit, &crit); err != nil || len(crit) == 0 {
		return fmt.Errorf("%w: crit must be a non-empty array of integer labels", ErrMalformed)
	}
	present := map[int64]bool{labelAlg: protected.Alg != nil, labelCty: protected.Cty != nil, labelKID: protected.KID != nil}
	for _, label := range crit {
		known, ok := present[label]
		if !ok {
			return fmt.Errorf("%w: unknown critical header %d", ErrUnsupported, label)
		}
		if !known {
			return fmt.Errorf("%w: critical header %d is absent", ErrMalformed, label)
		}
	}
	return nil
}

// Verify checks the message's signature with key. The message's algorithm
// must be the key's.
func (m *UnverifiedSign1) Verify(key *Key) error {
	if m.Alg != key.Alg {
		return fmt.Errorf("%w: message algorithm %v, key algorithm %v", ErrSignature, m.Alg, key.Alg)
	}
	return key.Verify(m.ToBeSigned(), m.signature)
}

// ToBeSigned returns the bytes the signature covers.
func (m *UnverifiedSign1) ToBeSigned() []byte { return toBeSigned(m.protected, m.Payload) }

// Signature returns the signature as carried (r||s for elliptic curves).
func (m *UnverifiedSign1) Signature() []byte { return m.signature }

// toBeSigned returns the Sig_structure of RFC 9052 section 4.4:
// ["Signature1", protected, empty bstr, payload], encoded by hand to save the
// general encoder's cost on the hot path.
func toBeSigned(protected, payload []byte) []byte {
	b := make([]byte, 0, 16+len(protected)+len(payload)+9)
	b = append(b, 0x84, 0x6a)
	b = append(b, "Signature1"...)
	b = appendBstrHead(b, len(protected))
	b = append(b, protected...)
	b = append(b, 0x40)
	b = appendBstrHead(b, len(payload))
	return append(b, payload...)
}

// appendBstrHead appends the CBOR head of a byte string of n bytes.
func appendBstrHead(b []byte, n int) []byte {
	const major = 0x40
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|24, byte(n))
	case n <= 0xffff:
		return append(b, major|25, byte(n>>8), byte(n))
	default:
		return append(b, major|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// SignOptions tunes Sign; nil means the defaults.
type SignOptions struct {
	// KIDUnprotected puts the kid in the unprotected header instead of the
	// protected one (some EU DCC issuers do so). Zero: protected.
	KIDUnprotected bool
	// Untagged leaves out the COSE_Sign1 tag 18. Zero: tagged.
	Untagged bool
}

// Sign returns a COSE_Sign1 message over payload, signed by s, naming kid.
func Sign(rand io.Reader, s *Signer, kid, payload []byte, opts *SignOptions) ([]byte, error) {
	if opts == nil {
		opts = &SignOptions{}
	}
	protected := map[int64]any{labelAlg: int64(s.Alg)}
	unprotected := map[int64]any{}
	if opts.KIDUnprotected {
		unprotected[labelKID] = kid
	} else {
		protected[labelKID] = kid
	}
	ph, err := EncMode.Marshal(protected)
	if err != nil {
		return nil, fmt.Errorf("cose: protected header: %w", err)
	}
	sig, err := s.Sign(rand, toBeSigned(ph, payload))
	if err != nil {
		return nil, err
	}
	msg := []any{ph, unprotected, payload, sig}
	if !opts.Untagged {
		return EncMode.Marshal(cbor.Tag{Number: 18, Content: msg})
	}
	return EncMode.Marshal(msg)
}
