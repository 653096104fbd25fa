package credential

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/terminal/cose"
)

// DCC is what fuscan reads of an EU Digital COVID Certificate (schema 1.3):
// the vaccination, test or recovery entry it decides on.
type DCC struct {
	Type       string // "v" vaccination, "t" test, "r" recovery
	FamilyName string // nam.fn, else nam.fnt
	GivenName  string // nam.gn
	BirthDate  string // dob
	ID         string // the entry's ci, the unique certificate identifier (UVCI)
	Country    string // the entry's co
	Doses      int    // v: dn
	TotalDoses int    // v: sd
	TestResult NATResult
	TestAt     time.Time // t: sc, the sample time
}

// SNOMED CT codes of a test result (value set covid-19-lab-result).
const (
	snomedNotDetected = "260415000"
	snomedDetected    = "260373001"
)

// maxDCCText bounds the DCC text fields fuscan reads, in characters as
// JSON Schema's maxLength counts them: the DCC schema 1.3 gives 80 to the
// names, the certificate issuer and the certificate identifier. (The CWT
// iss, which the schema does not cover, gets the same.)
const maxDCCText = 80

type wireDCCClaims struct {
	Iss   string              `cbor:"1,keyasint,omitempty"`
	Exp   numericDate         `cbor:"4,keyasint"`
	Iat   numericDate         `cbor:"6,keyasint"`
	HCert map[int64]wireHCert `cbor:"-260,keyasint"`
}

// numericDate is a CWT time (RFC 8392 NumericDate): seconds since the
// epoch, an integer or a floating-point number, whose whole seconds fuscan
// keeps. Several member states write floats; our own formats refuse them.
// A negative, NaN, infinite or out-of-range value, and a tagged one, is
// refused.
type numericDate int64

// UnmarshalCBOR reads an unsigned integer or a float.
func (n *numericDate) UnmarshalCBOR(data []byte) error {
	switch data[0] >> 5 {
	case 0: // unsigned integer
		var v int64
		if err := dccMode.Unmarshal(data, &v); err != nil {
			return err
		}
		*n = numericDate(v)
		return nil
	case 7: // float (or a simple value, which float64 does not take)
		var f float64
		if err := dccMode.Unmarshal(data, &f); err != nil {
			return err
		}
		if !(f >= 0 && f < 1<<63) { // NaN fails both
			return fmt.Errorf("time %v is not a non-negative NumericDate", f)
		}
		*n = numericDate(f)
		return nil
	}
	return fmt.Errorf("a time must be a non-negative integer or float, not CBOR major type %d", data[0]>>5)
}

type wireHCert struct {
	Ver string `cbor:"ver"`
	Nam struct {
		FN  string `cbor:"fn,omitempty"`
		GN  string `cbor:"gn,omitempty"`
		FNT string `cbor:"fnt"`
		GNT string `cbor:"gnt,omitempty"`
	} `cbor:"nam"`
	DOB string      `cbor:"dob"`
	V   []wireEntry `cbor:"v,omitempty"`
	T   []wireEntry `cbor:"t,omitempty"`
	R   []wireEntry `cbor:"r,omitempty"`
}

// wireEntry holds the fields fuscan reads of v, t and r entries; the others
// (target disease, product, issuer...) are ignored.
type wireEntry struct {
	DN int      `cbor:"dn,omitempty"`
	SD int      `cbor:"sd,omitempty"`
	DT dateText `cbor:"dt,omitempty"` // v: date of vaccination
	SC dateText `cbor:"sc,omitempty"` // t: sample time
	TR string   `cbor:"tr,omitempty"`
	FR dateText `cbor:"fr,omitempty"` // r: date of the first positive test
	CO string   `cbor:"co"`
	CI string   `cbor:"ci"`
}

// dateText is a date or time field of an entry: text as the schema has it,
// or "" when an issuer wrote another type (early certificates carry the
// sample time as an integer of milliseconds), which fuscan then treats as
// unknown rather than guess its unit.
type dateText string

// UnmarshalCBOR reads a text string; any other well-formed item gives "".
func (d *dateText) UnmarshalCBOR(data []byte) error {
	if data[0]>>5 != 3 {
		*d = ""
		return nil
	}
	var s string
	err := dccMode.Unmarshal(data, &s)
	*d = dateText(s)
	return err
}

// dccMode is cose.DecMode but allows tags, which some national DCC issuers
// put on dates; unknown fields are ignored as the DCC schema is open.
var dccMode = func() cbor.DecMode {
	opts := cose.DecMode.DecOptions()
	opts.TagsMd = cbor.TagsAllowed
	m, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// dccCOSE are the COSE rules of the EU DCC: a kid in both headers is
// allowed, the protected one counting (DCC specification, section 3.3.1).
var dccCOSE = &cose.DecodeOptions{ProtectedKIDWins: true}

func parseDCC(data []byte) (*Unverified, error) {
	m, err := cose.DecodeWith(data, dccCOSE)
	if err != nil {
		return nil, err
	}
	var w wireDCCClaims
	if err := dccMode.Unmarshal(m.Payload, &w); err != nil {
		return nil, fmt.Errorf("dcc claims: %w", err)
	}
	hc, ok := w.HCert[1]
	if !ok || len(w.HCert) != 1 {
		return nil, fmt.Errorf("dcc claims: no hcert v1")
	}
	d, err := readHCert(&hc)
	if err != nil {
		return nil, err
	}
	c := Claims{
		Kind:      KindDCC,
		Issuer:    w.Iss,
		IssuedAt:  unixTime(int64(w.Iat)),
		ExpiresAt: unixTime(int64(w.Exp)),
		Serial:    d.ID,
		Health: Health{
			Name:      d.FamilyName,
			VaxDoses:  d.Doses,
			NATAt:     d.TestAt,
			NATResult: d.TestResult,
		},
	}
	switch {
	case c.IssuedAt.IsZero() || c.ExpiresAt.IsZero():
		return nil, fmt.Errorf("dcc claims: iat and exp are required")
	case !c.ExpiresAt.After(c.IssuedAt):
		return nil, fmt.Errorf("dcc claims: exp not after iat")
	case !schemaText(c.Issuer, maxDCCText) || !schemaText(d.FamilyName, maxDCCText) ||
		!schemaText(d.GivenName, maxDCCText) || !schemaText(c.Serial, maxDCCText):
		return nil, fmt.Errorf("dcc claims: a text field is too long or has control characters")
	}
	return &Unverified{Kind: KindDCC, Sign1: m, Claims: c, DCC: d}, nil
}

// readHCert reads the eu_dgc_v1 object: entries of exactly one type, of
// which the most recent decides.
func readHCert(hc *wireHCert) (*DCC, error) {
	var typ string
	var entries []wireEntry
	for _, g := range []struct {
		typ     string
		entries []wireEntry
	}{{"v", hc.V}, {"t", hc.T}, {"r", hc.R}} {
		if len(g.entries) == 0 {
			continue
		}
		if typ != "" {
			return nil, fmt.Errorf("dcc: want entries of one type, got %s and %s", typ, g.typ)
		}
		typ, entries = g.typ, g.entries
	}
	if typ == "" {
		return nil, fmt.Errorf("dcc: want a v, t or r entry, got none")
	}
	var d *DCC
	var at time.Time
	for i := range entries {
		e, eAt, err := readEntry(typ, &entries[i])
		if err != nil {
			return nil, err
		}
		// The most recent wins; on the same day, the higher dose, then the
		// later in the array.
		if d == nil || eAt.After(at) || eAt.Equal(at) && e.Doses >= d.Doses {
			d, at = e, eAt
		}
	}
	d.FamilyName, d.GivenName, d.BirthDate = hc.Nam.FN, hc.Nam.GN, hc.DOB
	if d.FamilyName == "" {
		d.FamilyName = hc.Nam.FNT
	}
	return d, nil
}

// readEntry checks one entry of type typ and returns what fuscan reads of
// it, with the time that orders it among entries of its type: v the date
// of vaccination (dt), t the sample time (sc), r the first positive test
// (fr). A date that does not parse orders first; so does a test whose
// sample time is unknown.
func readEntry(typ string, e *wireEntry) (*DCC, time.Time, error) {
	d := &DCC{Type: typ, ID: e.CI, Country: e.CO}
	switch typ {
	case "v":
		if e.DN < 0 || e.SD < 0 {
			return nil, time.Time{}, fmt.Errorf("dcc: dose numbers %d/%d", e.DN, e.SD)
		}
		d.Doses, d.TotalDoses = e.DN, e.SD
		return d, entryDate(string(e.DT)), nil
	case "t":
		// A sample time that is not RFC 3339 text is unknown: the test's
		// result counts, its age cannot (a venue's nat_max_age refuses it).
		if at, err := time.Parse(time.RFC3339, string(e.SC)); err == nil {
			d.TestAt = at.UTC()
		}
		switch e.TR {
		case snomedNotDetected:
			d.TestResult = NATNegative
		case snomedDetected:
			d.TestResult = NATPositive
		default:
			return nil, time.Time{}, fmt.Errorf("dcc: test result %q", e.TR)
		}
		return d, d.TestAt, nil
	}
	return d, entryDate(string(e.FR)), nil
}

// entryDate reads the date (YYYY-MM-DD) at the start of s; zero if there is
// none.
func entryDate(s string) time.Time {
	if len(s) < len(time.DateOnly) {
		return time.Time{}
	}
	t, _ := time.Parse(time.DateOnly, s[:len(time.DateOnly)])
	return t
}

// MachineReadableName returns name in the machine-readable form of ICAO
// 9303 that the DCC fnt and gnt fields take: upper-case A-Z with '<' for
// spaces and hyphens; other characters are dropped (transliterating them is
// the issuer's job).
func MachineReadableName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r
		case r == ' ' || r == '-':
			return '<'
		}
		return -1
	}, name)
}

// SignDCC returns a signed EU DCC message with kid (the first 8 bytes of
// the SHA-256 of the signing certificate). It exists for tests and samples.
func SignDCC(rand io.Reader, s *cose.Signer, kid []byte, iss string, iat, exp time.Time, d *DCC, opts *cose.SignOptions) ([]byte, error) {
	if !AlgorithmAllowed(KindDCC, s.Alg) {
		return nil, fmt.Errorf("credential: %v does not sign EU DCCs", s.Alg)
	}
	var hc wireHCert
	hc.Ver = "1.3.0"
	hc.Nam.FN, hc.Nam.GN, hc.Nam.FNT = d.FamilyName, d.GivenName, MachineReadableName(d.FamilyName)
	hc.DOB = d.BirthDate
	e := wireEntry{CO: d.Country, CI: d.ID}
	switch d.Type {
	case "v":
		e.DN, e.SD = d.Doses, d.TotalDoses
		hc.V = []wireEntry{e}
	case "t":
		e.SC = dateText(d.TestAt.UTC().Format(time.RFC3339))
		e.TR = snomedNotDetected
		if d.TestResult == NATPositive {
			e.TR = snomedDetected
		}
		hc.T = []wireEntry{e}
	case "r":
		hc.R = []wireEntry{e}
	default:
		return nil, fmt.Errorf("credential: dcc type %q", d.Type)
	}
	payload, err := cose.EncMode.Marshal(&wireDCCClaims{Iss: iss, Iat: numericDate(iat.Unix()), Exp: numericDate(exp.Unix()), HCert: map[int64]wireHCert{1: hc}})
	if err != nil {
		return nil, fmt.Errorf("credential: dcc: %w", err)
	}
	return cose.Sign(rand, s, kid, payload, opts)
}
