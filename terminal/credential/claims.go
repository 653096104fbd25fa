package credential

import (
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/terminal/cose"
)

// Kind is a credential format.
type Kind uint8

// The credential kinds. The numbers are those of the health claim's kind
// field (docs/credential-format.md); DCC has none on the wire.
const (
	KindLive    Kind = 1 // live health code (亮码), minutes
	KindCard    Kind = 2 // 福码卡 offline card, up to 30 days
	KindDynamic Kind = 3 // dynamic offline code, up to 24 h, 30 s steps
	KindDCC     Kind = 4 // EU Digital COVID Certificate
)

var kindNames = [...]string{KindLive: "live", KindCard: "card", KindDynamic: "dynamic", KindDCC: "dcc"}

// String returns the kind's command-line name: live, card, dynamic or dcc.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind returns the kind named s (as String writes it).
func ParseKind(s string) (Kind, error) {
	if i := slices.Index(kindNames[:], s); i > 0 {
		return Kind(i), nil
	}
	return 0, fmt.Errorf("credential: unknown kind %q (want live, card, dynamic or dcc)", s)
}

// Color is the health-code colour the issuing platform decided.
type Color uint8

// The colours. ColorNone is for credentials without one (EU DCC).
const (
	ColorNone   Color = 0
	ColorGreen  Color = 1
	ColorYellow Color = 2
	ColorRed    Color = 3
)

var colorNames = [...]string{ColorNone: "", ColorGreen: "green", ColorYellow: "yellow", ColorRed: "red"}

// String returns "green", "yellow", "red" or "" for ColorNone.
func (c Color) String() string {
	if int(c) < len(colorNames) {
		return colorNames[c]
	}
	return fmt.Sprintf("color(%d)", uint8(c))
}

// ParseColor returns the colour named s (as String writes it).
func ParseColor(s string) (Color, error) {
	if i := slices.Index(colorNames[:], s); i > 0 {
		return Color(i), nil
	}
	return 0, fmt.Errorf("credential: unknown colour %q (want green, yellow or red)", s)
}

// NATResult is the result of a nucleic-acid test (核酸检测).
type NATResult uint8

// The test results; NATNone means no test is recorded.
const (
	NATNone     NATResult = 0
	NATNegative NATResult = 1
	NATPositive NATResult = 2
)

var natNames = [...]string{NATNone: "", NATNegative: "negative", NATPositive: "positive"}

// String returns "negative", "positive" or "" for NATNone.
func (r NATResult) String() string {
	if int(r) < len(natNames) {
		return natNames[r]
	}
	return fmt.Sprintf("nat(%d)", uint8(r))
}

// ParseNATResult returns the test result named s (as String writes it).
func ParseNATResult(s string) (NATResult, error) {
	if i := slices.Index(natNames[:], s); i > 0 {
		return NATResult(i), nil
	}
	return 0, fmt.Errorf("credential: unknown test result %q (want negative or positive)", s)
}

// Health is the holder data a credential carries. Names arrive masked by
// the issuer (张*) and IDs as their last characters: a code shows a
// checkpoint no more than it needs.
type Health struct {
	Color      Color
	Name       string    // masked name
	IDTail     string    // last 4 characters of the ID number
	NATAt      time.Time // sample time of the latest nucleic-acid test; zero: none
	NATResult  NATResult
	VaxDoses   int
	TravelRisk bool // the 14-day travel record (行程码) touches a risk area
}

// Claims is the signed content of a credential.
type Claims struct {
	Kind      Kind
	Issuer    string    // issuer id, such as the GB/T 2260 code 350000
	IssuedAt  time.Time // iat
	ExpiresAt time.Time // exp; zero: none (allowed only for live codes)
	NotBefore time.Time // nbf; zero: none
	Serial    string    // card serial, checked against revocations
	HolderKey []byte    // dynamic codes: the holder's DER SubjectPublicKeyInfo
	Health    Health
}

// CWT claim keys (RFC 8392) and fuscan's private health claim.
const (
	claimIss    = 1
	claimExp    = 4
	claimNbf    = 5
	claimIat    = 6
	claimHealth = -65537
	claimHCert  = -260 // EU DCC
)

// Field bounds of the health claim.
const (
	maxName   = 64 // bytes of the masked name
	maxIDTail = 8
	maxSerial = 64
	maxIssuer = 64
	maxHolder = 600 // bytes of a holder SPKI (an RSA-4096 SPKI is ~550)
	maxDoses  = 20
)

// wireClaims is the CWT claims map of our formats, field by field as
// docs/credential-format.md lists it.
type wireClaims struct {
	Iss    string     `cbor:"1,keyasint,omitempty"`
	Exp    int64      `cbor:"4,keyasint,omitempty"`
	Nbf    int64      `cbor:"5,keyasint,omitempty"`
	Iat    int64      `cbor:"6,keyasint"`
	Health wireHealth `cbor:"-65537,keyasint"`
}

type wireHealth struct {
	Kind       uint8  `cbor:"1,keyasint"`
	Color      uint8  `cbor:"2,keyasint"`
	Name       string `cbor:"3,keyasint"`
	IDTail     string `cbor:"4,keyasint"`
	NATAt      int64  `cbor:"5,keyasint,omitempty"`
	NATResult  uint8  `cbor:"6,keyasint,omitempty"`
	VaxDoses   uint8  `cbor:"7,keyasint,omitempty"`
	TravelRisk bool   `cbor:"8,keyasint,omitempty"`
	Serial     string `cbor:"9,keyasint,omitempty"`
	HolderKey  []byte `cbor:"10,keyasint,omitempty"`
}

// claimsMode is cose.DecMode that also refuses claim keys it does not know:
// version 1 of our formats is closed.
var claimsMode = func() cbor.DecMode {
	opts := cose.DecMode.DecOptions()
	opts.ExtraReturnErrors = cbor.ExtraDecErrorUnknownField
	m, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// decodeClaims parses and checks the claims of one of our formats.
func decodeClaims(payload []byte) (Claims, error) {
	var w wireClaims
	if err := claimsMode.Unmarshal(payload, &w); err != nil {
		return Claims{}, fmt.Errorf("claims: %w", err)
	}
	h := w.Health
	c := Claims{
		Kind:      Kind(h.Kind),
		Issuer:    w.Iss,
		IssuedAt:  unixTime(w.Iat),
		ExpiresAt: unixTime(w.Exp),
		NotBefore: unixTime(w.Nbf),
		Serial:    h.Serial,
		HolderKey: h.HolderKey,
		Health: Health{
			Color:      Color(h.Color),
			Name:       h.Name,
			IDTail:     h.IDTail,
			NATAt:      unixTime(h.NATAt),
			NATResult:  NATResult(h.NATResult),
			VaxDoses:   int(h.VaxDoses),
			TravelRisk: h.TravelRisk,
		},
	}
	return c, c.check()
}

// check enforces the per-kind rules of docs/credential-format.md.
func (c *Claims) check() error {
	h := &c.Health
	switch {
	case c.Kind < KindLive || c.Kind > KindDynamic:
		return fmt.Errorf("claims: kind %d", c.Kind)
	case c.IssuedAt.IsZero():
		return fmt.Errorf("claims: no issued-at time")
	case c.Kind != KindLive && c.ExpiresAt.IsZero():
		return fmt.Errorf("claims: a %v credential needs an expiry", c.Kind)
	case !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(c.IssuedAt):
		return fmt.Errorf("claims: expiry not after issue")
	case h.Color < ColorGreen || h.Color > ColorRed:
		return fmt.Errorf("claims: colour %d", h.Color)
	case h.NATResult > NATPositive || (h.NATResult == NATNone) != h.NATAt.IsZero():
		return fmt.Errorf("claims: nucleic-acid time and result must come together")
	case h.VaxDoses > maxDoses:
		return fmt.Errorf("claims: %d vaccine doses", h.VaxDoses)
	case !textOK(c.Issuer, maxIssuer) || !textOK(h.Name, maxName) || !textOK(h.IDTail, maxIDTail) || !textOK(c.Serial, maxSerial):
		return fmt.Errorf("claims: a text field is too long or has control characters")
	case c.Kind == KindCard && c.Serial == "":
		return fmt.Errorf("claims: a card needs a serial")
	case c.Kind == KindDynamic && (len(c.HolderKey) == 0 || len(c.HolderKey) > maxHolder):
		return fmt.Errorf("claims: a dynamic credential needs a holder key")
	case c.Kind != KindDynamic && len(c.HolderKey) > 0:
		return fmt.Errorf("claims: only a dynamic credential has a holder key")
	}
	return nil
}

// textOK reports whether s fits max bytes and has no control characters
// (which could forge lines in logs and on screens) and no invisible format
// characters (Unicode category Cf: bidirectional overrides such as U+202E,
// which reorder a printed line, zero-width characters, the BOM).
func textOK(s string, max int) bool { return len(s) <= max && printable(s) }

// schemaText is textOK with max counted in characters (code points), as
// JSON Schema's maxLength counts them.
func schemaText(s string, max int) bool { return utf8.RuneCountInString(s) <= max && printable(s) }

// printable reports whether s is valid UTF-8 without control characters or
// invisible format characters (Cf), except the zero-width non-joiner and
// joiner (U+200C, U+200D): Persian, Arabic and Indic names need them, and
// they reorder nothing.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x200c || r == 0x200d:
		case r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r):
			return false
		}
	}
	return true
}

func unixTime(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func unixSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// encodeClaims returns the CWT claims map of c.
func encodeClaims(c *Claims) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	h := &c.Health
	w := wireClaims{
		Iss: c.Issuer,
		Exp: unixSeconds(c.ExpiresAt),
		Nbf: unixSeconds(c.NotBefore),
		Iat: unixSeconds(c.IssuedAt),
		Health: wireHealth{
			Kind:       uint8(c.Kind),
			Color:      uint8(h.Color),
			Name:       h.Name,
			IDTail:     h.IDTail,
			NATAt:      unixSeconds(h.NATAt),
			NATResult:  uint8(h.NATResult),
			VaxDoses:   uint8(h.VaxDoses),
			TravelRisk: h.TravelRisk,
			Serial:     c.Serial,
			HolderKey:  c.HolderKey,
		},
	}
	return cose.EncMode.Marshal(&w)
}
