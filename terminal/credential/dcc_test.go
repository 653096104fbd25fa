package credential

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
)

// dccInterop is an EU DCC as member states issue it, beyond what SignDCC
// writes, and what fuscan must read of it.
type dccInterop struct {
	name string
	msg  []byte
	want DCC
	iat  time.Time
	exp  time.Time
	kid  string
}

// dccInterops returns certificates with the properties of issue 12: float
// times, several entries of one type, a kid in both headers, long text
// fields within the schema's bounds.
func dccInterops(t testing.TB) []dccInterop {
	s := testkeys.Issuer(t, cose.ES256)
	protected := map[int64]any{1: int64(cose.ES256), 4: []byte("protectd")}
	sign := func(claims cbor.RawMessage) []byte { return signWithProtected(t, s, protected, claims) }
	vax := func(dn int, dt, ci string) cbor.RawMessage {
		return cborMap(t, "tg", "840539006", "dn", dn, "sd", 2, "dt", dt, "co", "AT", "ci", ci)
	}
	test := func(sc, tr, ci string) cbor.RawMessage {
		return cborMap(t, "tg", "840539006", "sc", sc, "tr", tr, "co", "DE", "ci", ci)
	}
	rec := func(fr, ci string) cbor.RawMessage {
		return cborMap(t, "tg", "840539006", "fr", fr, "co", "FR", "ci", ci)
	}
	base := DCC{FamilyName: "Musterfrau", BirthDate: "1964-08-12"}
	with := func(typ, id, co string, f func(*DCC)) DCC {
		d := base
		d.Type, d.ID, d.Country = typ, id, co
		if f != nil {
			f(&d)
		}
		return d
	}
	iat, exp := time.Unix(iatSec, 0).UTC(), time.Unix(expSec, 0).UTC()
	long := strings.Repeat("Ω", maxDCCText) // 80 characters, 160 bytes
	return []dccInterop{
		{
			name: "iat and exp as float64 with fractions",
			msg:  sign(cborMap(t, 1, "AT", 4, float64(expSec)+0.75, 6, float64(iatSec)+0.5, claimHCert, cborMap(t, 1, cborMap(t, dccHead(t)...)))),
			want: with("v", "URN:UVCI:01:AT:1#B", "AT", func(d *DCC) { d.Doses, d.TotalDoses = 2, 2 }),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "iat and exp as float32",
			msg:  sign(cborMap(t, 1, "AT", 4, cbor.RawMessage{0xfa, 0x4e, 0xc8, 0x00, 0x00}, 6, cbor.RawMessage{0xfa, 0x4e, 0xbe, 0xbc, 0x20}, claimHCert, cborMap(t, 1, cborMap(t, dccHead(t)...)))),
			want: with("v", "URN:UVCI:01:AT:1#B", "AT", func(d *DCC) { d.Doses, d.TotalDoses = 2, 2 }),
			iat:  time.Unix(1600000000, 0).UTC(), exp: time.Unix(1677721600, 0).UTC(), kid: "protectd",
		},
		{
			name: "two vaccinations, the later second",
			msg:  sign(dccClaims(t, []any{"v", cborArray(t, vax(1, "2021-02-18", "V1"), vax(2, "2021-03-18", "V2"))})),
			want: with("v", "V2", "AT", func(d *DCC) { d.Doses, d.TotalDoses = 2, 2 }),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "two vaccinations, the later first",
			msg:  sign(dccClaims(t, []any{"v", cborArray(t, vax(2, "2021-03-18", "V2"), vax(1, "2021-02-18", "V1"))})),
			want: with("v", "V2", "AT", func(d *DCC) { d.Doses, d.TotalDoses = 2, 2 }),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "two vaccinations on one day: the higher dose",
			msg:  sign(dccClaims(t, []any{"v", cborArray(t, vax(2, "2021-03-18", "V2"), vax(1, "2021-03-18", "V1"))})),
			want: with("v", "V2", "AT", func(d *DCC) { d.Doses, d.TotalDoses = 2, 2 }),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "three tests: the latest sample decides",
			msg: sign(dccClaims(t, []any{"t", cborArray(t, test("2021-05-01T10:00:00Z", snomedNotDetected, "T1"),
				test("2021-05-03T10:00:00+02:00", snomedDetected, "T3"), test("2021-05-02T10:00:00Z", snomedNotDetected, "T2"))})),
			want: with("t", "T3", "DE", func(d *DCC) {
				d.TestResult, d.TestAt = NATPositive, time.Date(2021, 5, 3, 8, 0, 0, 0, time.UTC)
			}),
			iat: iat, exp: exp, kid: "protectd",
		},
		{
			name: "two recoveries: the latest first positive test",
			msg:  sign(dccClaims(t, []any{"r", cborArray(t, rec("2021-04-01", "R1"), rec("2021-01-01", "R0"))})),
			want: with("r", "R1", "FR", nil),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "kid in both headers, the unprotected one wrong",
			msg:  signWithHeaders(t, s, protected, map[int64]any{4: []byte("wrongkid")}, dccClaims(t, dccOne(t, "r"))),
			want: with("r", "URN:UVCI:01:AT:1#B", "AT", nil),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "80-character names, issuer and identifier",
			msg: sign(cborMap(t, 1, long, 4, expSec, 6, iatSec, claimHCert, cborMap(t, 1, cborMap(t,
				"ver", "1.3.0", "nam", cborMap(t, "fn", long, "fnt", "X", "gn", long), "dob", "1964-08-12",
				"r", cborArray(t, cborMap(t, "co", "AT", "ci", strings.Repeat("U", maxDCCText), "is", strings.Repeat("Ministry ", 9)[:maxDCCText])))))),
			want: DCC{Type: "r", FamilyName: long, GivenName: long, BirthDate: "1964-08-12", ID: strings.Repeat("U", maxDCCText), Country: "AT"},
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "sample time as an integer of milliseconds: unknown",
			msg:  sign(dccClaims(t, []any{"t", cborArray(t, cborMap(t, "sc", uint64(1613824496000), "dr", uint64(1613832961000), "tr", snomedNotDetected, "co", "AT", "ci", "T0"))})),
			want: with("t", "T0", "AT", func(d *DCC) { d.TestResult = NATNegative }),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "sample time as a date, or absent: unknown",
			msg: sign(dccClaims(t, []any{"t", cborArray(t, cborMap(t, "sc", "2021-02-20", "tr", snomedDetected, "co", "AT", "ci", "T1"),
				cborMap(t, "tr", snomedNotDetected, "co", "AT", "ci", "T2"))})),
			want: with("t", "T2", "AT", func(d *DCC) { d.TestResult = NATNegative }),
			iat:  iat, exp: exp, kid: "protectd",
		},
		{
			name: "dose numbers past the old bound of 20",
			msg:  sign(dccClaims(t, []any{"v", cborArray(t, cborMap(t, "dn", 21, "sd", 21, "co", "AT", "ci", "V21"))})),
			want: with("v", "V21", "AT", func(d *DCC) { d.Doses, d.TotalDoses = 21, 21 }),
			iat:  iat, exp: exp, kid: "protectd",
		},
	}
}

// dccHead returns the hcert pairs of one valid vaccination.
func dccHead(t testing.TB) []any {
	return append([]any{"ver", "1.3.0", "nam", cborMap(t, "fn", "Musterfrau", "fnt", "MUSTERFRAU"), "dob", "1964-08-12"}, dccOne(t, "v")...)
}

func TestDCCInterop(t *testing.T) {
	for _, tt := range dccInterops(t) {
		t.Run(tt.name, func(t *testing.T) {
			u := mustParse(t, Encode(KindDCC, tt.msg))
			if *u.DCC != tt.want {
				t.Errorf("got DCC %+v\nwant %+v", *u.DCC, tt.want)
			}
			if !u.Claims.IssuedAt.Equal(tt.iat) || !u.Claims.ExpiresAt.Equal(tt.exp) {
				t.Errorf("got iat %v exp %v, want %v %v", u.Claims.IssuedAt, u.Claims.ExpiresAt, tt.iat, tt.exp)
			}
			if !bytes.Equal(u.Sign1.KID, []byte(tt.kid)) {
				t.Errorf("got kid %q, want %q", u.Sign1.KID, tt.kid)
			}
			if u.Claims.Serial != tt.want.ID || u.Claims.Health.VaxDoses != tt.want.Doses || u.Claims.Health.NATResult != tt.want.TestResult {
				t.Errorf("got claims %+v, want the decided entry's", u.Claims)
			}
		})
	}
}

// TestOurFormatsStayStrict: what an EU DCC may do, our formats may not.
func TestOurFormatsStayStrict(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	kid, err := cose.KeyID(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	health := cborMap(t, cardHealth()...)
	payload, err := encodeClaims(testClaims(KindCard))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		why  func(error) bool
	}{
		{"float iat", signedText(t, KindCard, cborMap(t, 1, "350000", 4, expSec, 6, float64(iatSec)+0.5, claimHealth, health)), as[*cbor.UnmarshalTypeError]},
		{"kid in both headers", Encode(KindCard, signWithHeaders(t, s, map[int64]any{1: int64(cose.EdDSA), 4: kid}, map[int64]any{4: kid}, payload)), is(cose.ErrMalformed)},
		{"name of 65 bytes", signedText(t, KindCard, cardClaims(t, cborMap(t, 1, 2, 2, 1, 3, strings.Repeat("n", maxName+1), 4, "1234", 9, "FSC-1"))), says("too long")},
	}
	for _, tt := range tests {
		wantMalformed(t, tt.name, tt.text, tt.why)
	}
}
