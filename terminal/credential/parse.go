package credential

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fuscan/fuscan/terminal/base45"
	"github.com/fuscan/fuscan/terminal/cose"
)

// MaxTextLen bounds the length of a code text: the most characters a QR code
// holds in alphanumeric mode (version 40, level L).
const MaxTextLen = 4296

// StepSeconds is the time step of a dynamic code: its picture changes, and
// the holder signs anew, every 30 seconds.
const StepSeconds = 30

// The text prefixes. Each ends in a colon, as QR alphanumeric mode allows.
const (
	PrefixLive    = "FSL1:"
	PrefixCard    = "FSC1:"
	PrefixDynamic = "FSD1:"
	PrefixDCC     = "HC1:"
)

var prefixes = []struct {
	prefix string
	kind   Kind
}{{PrefixLive, KindLive}, {PrefixCard, KindCard}, {PrefixDynamic, KindDynamic}, {PrefixDCC, KindDCC}}

// ErrFormatUnknown is returned, wrapped, for a text that is none of the
// formats this package reads (a URL, a product barcode, another system's code).
var ErrFormatUnknown = errors.New("credential: unknown format")

// ErrMalformed is returned, wrapped, for a text that has a known prefix but
// is not well-formed: the code is damaged or forged.
var ErrMalformed = errors.New("credential: malformed")

// Unverified is a parsed credential whose signatures have not been checked.
type Unverified struct {
	Kind   Kind
	Sign1  *cose.UnverifiedSign1 // the issuer's signed credential
	Claims Claims                // from Sign1's payload: unverified

	// Dynamic codes only: the time step the holder signed and the signature.
	Step      int64
	holderKey *cose.Key
	holderSig []byte
	holderTBS []byte

	DCC *DCC // EU DCC only: the certificate's content
}

// Parse reads a code text. It returns an error wrapping ErrFormatUnknown or
// ErrMalformed; it never checks a signature.
func Parse(text string) (*Unverified, error) {
	kind, body, ok := cutPrefix(text)
	if !ok {
		return nil, ErrFormatUnknown
	}
	if len(text) > MaxTextLen {
		return nil, fmt.Errorf("%w: %d characters exceeds %d", ErrMalformed, len(text), MaxTextLen)
	}
	u, err := parse(kind, body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v: %w", ErrMalformed, kind, err)
	}
	return u, nil
}

func cutPrefix(text string) (Kind, string, bool) {
	for _, p := range prefixes {
		if body, ok := strings.CutPrefix(text, p.prefix); ok {
			return p.kind, body, true
		}
	}
	return 0, "", false
}

func parse(kind Kind, body string) (*Unverified, error) {
	compressed, err := base45.Decode(body)
	if err != nil {
		return nil, err
	}
	// Every format is compressed, the EU DCC included: its common test Z2
	// ("not compressed") is invalid.
	data, err := Inflate(compressed)
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindDCC:
		return parseDCC(data)
	case KindDynamic:
		return parseDynamic(data)
	}
	return parseSigned(kind, data)
}

// parseSigned reads a COSE_Sign1 credential of one of our kinds.
func parseSigned(kind Kind, data []byte) (*Unverified, error) {
	m, err := cose.Decode(data)
	if err != nil {
		return nil, err
	}
	c, err := decodeClaims(m.Payload)
	if err != nil {
		return nil, err
	}
	if c.Kind != kind {
		return nil, fmt.Errorf("the signed kind is %v", c.Kind)
	}
	return &Unverified{Kind: kind, Sign1: m, Claims: c}, nil
}

// Sign returns the COSE_Sign1 message of claims c signed by issuer, naming
// the issuer key's kid.
func Sign(rand io.Reader, issuer *cose.Signer, c *Claims) ([]byte, error) {
	if !AlgorithmAllowed(c.Kind, issuer.Alg) {
		return nil, fmt.Errorf("credential: %v does not sign %v credentials", issuer.Alg, c.Kind)
	}
	if max := MaxLifetime(c.Kind); max > 0 && c.ExpiresAt.Sub(c.IssuedAt) > max {
		return nil, fmt.Errorf("credential: a %v credential lives at most %v", c.Kind, max)
	}
	if c.Kind == KindDynamic {
		if _, err := holderKey(c.HolderKey); err != nil {
			return nil, fmt.Errorf("credential: %w", err)
		}
	}
	payload, err := encodeClaims(c)
	if err != nil {
		return nil, err
	}
	kid, err := cose.KeyID(issuer.Public())
	if err != nil {
		return nil, err
	}
	return cose.Sign(rand, issuer, kid, payload, nil)
}

// AlgorithmAllowed reports whether credentials of kind may be signed with
// alg: PS256 (RSA) only for EU DCC, SM2, Ed25519 and ES256 for our formats,
// ES256 and PS256 for DCC.
func AlgorithmAllowed(kind Kind, alg cose.Algorithm) bool {
	switch alg {
	case cose.ES256:
		return true
	case cose.PS256:
		return kind == KindDCC
	case cose.SM2SM3, cose.EdDSA:
		return kind != KindDCC
	}
	return false
}

// MaxLifetime returns the longest a credential of kind may be valid from
// its issue: 30 days for a card, 24 hours for a dynamic credential, and
// zero (no format limit) for the others.
func MaxLifetime(kind Kind) time.Duration {
	switch kind {
	case KindCard:
		return 30 * 24 * time.Hour
	case KindDynamic:
		return 24 * time.Hour
	}
	return 0
}

// Encode returns the code text of a signed message of the given kind:
// prefix, then Base45 of the zlib-compressed message.
func Encode(kind Kind, signed []byte) string {
	for _, p := range prefixes {
		if p.kind == kind {
			return p.prefix + base45.Encode(Deflate(signed))
		}
	}
	panic(fmt.Sprintf("credential: Encode of kind %v", kind))
}

// Issue signs claims c and returns the code text; for a dynamic credential
// it returns the text presented at time at (see Present).
func Issue(issuer *cose.Signer, c *Claims, holder *cose.Signer, at time.Time) (string, error) {
	if c.Kind == KindDynamic && holder != nil {
		spki, err := spkiOf(holder.Public())
		if err != nil {
			return "", err
		}
		c.HolderKey = spki
	}
	signed, err := Sign(rand.Reader, issuer, c)
	if err != nil {
		return "", err
	}
	if c.Kind != KindDynamic {
		return Encode(c.Kind, signed), nil
	}
	if holder == nil {
		return "", errors.New("credential: a dynamic code needs a holder key")
	}
	return Present(rand.Reader, holder, signed, StepAt(at))
}
