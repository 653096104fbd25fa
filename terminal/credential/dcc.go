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
// exactly one vaccination, test or recovery entry.
type DCC struct {
	Type       string // "v" vaccination, "t" test, "r" recovery
	FamilyName string // nam.fn
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

type wireDCCClaims struct {
	Iss   string              `cbor:"1,keyasint,omitempty"`
	Exp   int64               `cbor:"4,keyasint"`
	Iat   int64               `cbor:"6,keyasint"`
	HCert map[int64]wireHCert `cbor:"-260,keyasint"`
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
	DN int    `cbor:"dn,omitempty"`
	SD int    `cbor:"sd,omitempty"`
	SC string `cbor:"sc,omitempty"`
	TR string `cbor:"tr,omitempty"`
	CO string `cbor:"co"`
	CI string `cbor:"ci"`
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

func parseDCC(data []byte) (*Unverified, error) {
	m, err := cose.Decode(data)
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
		IssuedAt:  unixTime(w.Iat),
		ExpiresAt: unixTime(w.Exp),
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
	case !textOK(c.Issuer, maxIssuer) || !textOK(c.Health.Name, maxName) || !textOK(c.Serial, 2*maxSerial):
		return nil, fmt.Errorf("dcc claims: a text field is too long or has control characters")
	}
	return &Unverified{Kind: KindDCC, Sign1: m, Claims: c, DCC: d}, nil
}

func readHCert(hc *wireHCert) (*DCC, error) {
	d := &DCC{FamilyName: hc.Nam.FN, GivenName: hc.Nam.GN, BirthDate: hc.DOB}
	if d.FamilyName == "" {
		d.FamilyName = hc.Nam.FNT
	}
	var e wireEntry
	switch {
	case len(hc.V)+len(hc.T)+len(hc.R) != 1:
		return nil, fmt.Errorf("dcc: want exactly one v, t or r entry")
	case len(hc.V) == 1:
		d.Type, e = "v", hc.V[0]
		d.Doses, d.TotalDoses = e.DN, e.SD
		if e.DN < 1 || e.DN > maxDoses || e.SD < 1 || e.SD > maxDoses {
			return nil, fmt.Errorf("dcc: dose numbers %d/%d", e.DN, e.SD)
		}
	case len(hc.T) == 1:
		d.Type, e = "t", hc.T[0]
		at, err := time.Parse(time.RFC3339, e.SC)
		if err != nil {
			return nil, fmt.Errorf("dcc: test sample time: %w", err)
		}
		d.TestAt = at.UTC()
		switch e.TR {
		case snomedNotDetected:
			d.TestResult = NATNegative
		case snomedDetected:
			d.TestResult = NATPositive
		default:
			return nil, fmt.Errorf("dcc: test result %q", e.TR)
		}
	default:
		d.Type, e = "r", hc.R[0]
	}
	d.ID, d.Country = e.CI, e.CO
	return d, nil
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
		e.SC = d.TestAt.UTC().Format(time.RFC3339)
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
	payload, err := cose.EncMode.Marshal(&wireDCCClaims{Iss: iss, Iat: iat.Unix(), Exp: exp.Unix(), HCert: map[int64]wireHCert{1: hc}})
	if err != nil {
		return nil, fmt.Errorf("credential: dcc: %w", err)
	}
	return cose.Sign(rand, s, kid, payload, opts)
}
