package terminal

import (
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// signingCert is an EU DCC document signer: its key and certificate.
type signingCert struct {
	s   *cose.Signer
	pem []byte
	kid []byte
}

func newSigningCert(t testing.TB, notBefore, notAfter time.Time, usages ...asn1.ObjectIdentifier) signingCert {
	t.Helper()
	s, certPEM := newDSC(t, cose.ES256, notBefore, notAfter, usages...)
	block, _ := pem.Decode(certPEM)
	return signingCert{s: s, pem: certPEM, kid: cose.KeyIDOf(block.Bytes)}
}

// trust returns a Trust holding only the certificate.
func (c signingCert) trust(t testing.TB) *Trust {
	t.Helper()
	keys, err := ParseKeys(c.pem)
	if err != nil {
		t.Fatal(err)
	}
	tr := &Trust{}
	tr.AddKey(keys[0])
	return tr
}

// hc1 returns the HC1 text of claims signed with c, the kid in the
// protected header and unprotected (nil: none) as the unprotected header.
// The claims are written as given, floats included, which
// credential.SignDCC does not do.
func (c signingCert) hc1(t testing.TB, claims map[int64]any, unprotected map[int64]any) string {
	t.Helper()
	if unprotected == nil {
		unprotected = map[int64]any{}
	}
	enc := func(v any) []byte {
		b, err := cose.EncMode.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	payload := enc(claims)
	protected := enc(map[int64]any{1: int64(cose.ES256), 4: c.kid})
	sig, err := c.s.Sign(rand.Reader, enc([]any{"Signature1", protected, []byte{}, payload}))
	if err != nil {
		t.Fatal(err)
	}
	return credential.Encode(credential.KindDCC, enc(cbor.Tag{Number: 18, Content: []any{protected, unprotected, payload, sig}}))
}

// hcert returns DCC claims with the CWT times iat and exp (integers or
// floats, as written) and the eu_dgc_v1 pairs given after the name.
func hcert(iss string, iat, exp any, pairs ...any) map[int64]any {
	dgc := map[string]any{"ver": "1.3.0", "nam": map[string]any{"fn": "Musterfrau", "fnt": "MUSTERFRAU", "gn": "Erika"}, "dob": "1964-08-12"}
	for i := 0; i < len(pairs); i += 2 {
		dgc[pairs[i].(string)] = pairs[i+1]
	}
	return map[int64]any{1: iss, 4: exp, 6: iat, -260: map[int64]any{1: dgc}}
}

func vaccination(dn int, dt, ci string) map[string]any {
	return map[string]any{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
		"dn": dn, "sd": 2, "dt": dt, "co": "AT", "is": "Ministry of Health, Austria", "ci": ci}
}

func testEntry(sc, tr string) map[string]any {
	return map[string]any{"tg": "840539006", "tt": "LP6464-4", "sc": sc, "tr": tr, "tc": "Testzentrum", "co": "DE", "is": "RKI", "ci": "URN:UVCI:01:DE:T"}
}

func recovery(fr string) map[string]any {
	return map[string]any{"tg": "840539006", "fr": fr, "co": "FR", "is": "CNAM", "df": fr, "du": "2022-01-01", "ci": "URN:UVCI:01:FR:R"}
}

// TestDCCAsIssued verifies EU DCCs built with the properties member states'
// certificates have, each signed with a test signing certificate, as the
// EU reference verifiers decide them (issue 12).
func TestDCCAsIssued(t *testing.T) {
	iat, exp := t0.Add(-24*time.Hour), t0.AddDate(0, 6, 0)
	cert := newSigningCert(t, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0))
	past := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	cert2021 := newSigningCert(t, past.AddDate(0, -2, 0), past.AddDate(2, 0, 0))
	vax := []any{vaccination(2, "2026-10-01", "URN:UVCI:01:AT:V2")}
	long := strings.Repeat("Ω", 80) // the schema's bound: 80 characters, 160 bytes
	kid := func(d *Decision) string { return string(d.KID) }

	tests := []struct {
		name    string
		cert    signingCert
		text    string
		at      time.Time
		opts    *Options
		policy  Policy
		verdict Verdict
		reason  Reason
		check   func(*Decision) string // "" when right, else what is wrong
	}{
		{name: "explicit past clock", cert: cert2021, at: past, opts: &Options{Explicit: true},
			text:    cert2021.hc1(t, hcert("AT", past.Add(-time.Hour).Unix(), past.AddDate(0, 6, 0).Unix(), "v", vax), nil),
			verdict: Pass, reason: OK},
		{name: "explicit past clock ignores the floor", cert: cert2021, at: past, opts: &Options{Explicit: true, Floor: func() time.Time { return t0 }},
			text:    cert2021.hc1(t, hcert("AT", past.Add(-time.Hour).Unix(), past.AddDate(0, 6, 0).Unix(), "v", vax), nil),
			verdict: Pass, reason: OK},
		{name: "explicit past clock, certificate expired then", cert: cert2021, at: past.AddDate(0, 7, 0), opts: &Options{Explicit: true},
			text:    cert2021.hc1(t, hcert("AT", past.Add(-time.Hour).Unix(), past.AddDate(0, 6, 0).Unix(), "v", vax), nil),
			verdict: Deny, reason: Expired},
		{name: "terminal clock in 2021 is not trusted", cert: cert2021, at: past,
			text:    cert2021.hc1(t, hcert("AT", past.Add(-time.Hour).Unix(), past.AddDate(0, 6, 0).Unix(), "v", vax), nil),
			verdict: Refer, reason: ClockUntrusted},
		{name: "float times", cert: cert,
			text:    cert.hc1(t, hcert("AT", float64(iat.Unix())+0.9906293, float64(exp.Unix())+0.5, "v", vax), nil),
			verdict: Pass, reason: OK,
			check: func(d *Decision) string {
				if !d.IssuedAt.Equal(iat) || !d.ExpiresAt.Equal(exp) {
					return "times not truncated to " + iat.String() + ", " + exp.String()
				}
				return ""
			}},
		{name: "float exp, at the truncated second", cert: cert, at: exp,
			text:    cert.hc1(t, hcert("AT", float64(iat.Unix()), float64(exp.Unix())+0.5, "v", vax), nil),
			verdict: Pass, reason: OK},
		{name: "two vaccinations: the later decides", cert: cert, policy: Policy{MinVaxDoses: 2},
			text: cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", []any{
				vaccination(2, "2026-10-01", "URN:UVCI:01:AT:V2"), vaccination(1, "2026-09-01", "URN:UVCI:01:AT:V1")}), nil),
			verdict: Pass, reason: OK},
		{name: "two tests: the later positive one decides", cert: cert,
			text: cert.hc1(t, hcert("DE", iat.Unix(), exp.Unix(), "t", []any{
				testEntry("2026-11-21T08:00:00Z", "260415000"), testEntry("2026-11-22T08:00:00Z", "260373001")}), nil),
			verdict: Deny, reason: NATPositive},
		{name: "two recoveries", cert: cert,
			text:    cert.hc1(t, hcert("FR", iat.Unix(), exp.Unix(), "r", []any{recovery("2026-08-01"), recovery("2026-10-01")}), nil),
			verdict: Pass, reason: OK},
		{name: "a vaccination and a test", cert: cert,
			text:    cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", vax, "t", []any{testEntry("2026-11-22T08:00:00Z", "260415000")}), nil),
			verdict: Deny, reason: Malformed},
		{name: "kid in both headers", cert: cert,
			text:    cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", vax), map[int64]any{4: cert.kid}),
			verdict: Pass, reason: OK},
		{name: "kid in both headers, the unprotected one wrong", cert: cert,
			text:    cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", vax), map[int64]any{4: []byte("wrongkid")}),
			verdict: Pass, reason: OK,
			check: func(d *Decision) string {
				if kid(d) != string(cert.kid) {
					return "kid not the protected one"
				}
				return ""
			}},
		{name: "alg unprotected", cert: cert,
			text:    cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", vax), map[int64]any{1: int64(cose.ES256)}),
			verdict: Deny, reason: Malformed},
		{name: "at exactly exp", cert: cert, at: exp,
			text:    cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", vax), nil),
			verdict: Pass, reason: OK},
		{name: "half a second after exp", cert: cert, at: exp.Add(500 * time.Millisecond),
			text:    cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", vax), nil),
			verdict: Deny, reason: Expired},
		{name: "a second after exp", cert: cert, at: exp.Add(time.Second),
			text:    cert.hc1(t, hcert("AT", iat.Unix(), exp.Unix(), "v", vax), nil),
			verdict: Deny, reason: Expired},
		{name: "long issuer, names and identifier", cert: cert,
			text: cert.hc1(t, map[int64]any{1: long, 4: exp.Unix(), 6: iat.Unix(), -260: map[int64]any{1: map[string]any{
				"ver": "1.3.0", "nam": map[string]any{"fn": long, "fnt": "X", "gn": long}, "dob": "1964",
				"v": []any{map[string]any{"dn": 1, "sd": 1, "co": "AT", "ci": strings.Repeat("U", 80), "is": strings.Repeat("I", 80)}}}}}, nil),
			verdict: Pass, reason: OK,
			check: func(d *Decision) string {
				if d.Name != "Ω**" || d.Issuer != long {
					return "name " + d.Name + " issuer " + d.Issuer
				}
				return ""
			}},
		{name: "issuer name with a bidi override", cert: cert,
			text:    cert.hc1(t, hcert("AT\u202e", iat.Unix(), exp.Unix(), "v", vax), nil),
			verdict: Deny, reason: Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tt.cert.trust(t)
			tr.Policy = tt.policy
			at := tt.at
			if at.IsZero() {
				at = t0
			}
			d := NewVerifier(tr, tt.opts).VerifyAt(tt.text, at)
			if d.Verdict != tt.verdict || d.Reason != tt.reason {
				t.Errorf("got %v %v (%s), want %v %v", d.Verdict, d.Reason, d.Detail, tt.verdict, tt.reason)
			}
			if tt.check != nil {
				if why := tt.check(&d); why != "" {
					t.Errorf("decision %+v: %s", d, why)
				}
			}
		})
	}
}

// TestDCCKeyUsageArcs: the signing certificate's extended key usages, in
// either arc the DCC specification lists, name the types it may sign; a
// certificate with none of them may sign every type.
func TestDCCKeyUsageArcs(t *testing.T) {
	oid := func(arc []int, last int) asn1.ObjectIdentifier {
		return append(append(asn1.ObjectIdentifier{}, arc...), last)
	}
	current := []int{1, 3, 6, 1, 4, 1, 1847, 2021, 1}
	older := []int{1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1}
	serverAuthLike := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
	tests := []struct {
		name   string
		usages []asn1.ObjectIdentifier
		allows string // of "t", "v", "r"
	}{
		{"none", nil, "tvr"},
		{"an unrelated usage only", []asn1.ObjectIdentifier{serverAuthLike}, "tvr"},
		{"current arc, test", []asn1.ObjectIdentifier{oid(current, 1)}, "t"},
		{"current arc, vaccination", []asn1.ObjectIdentifier{oid(current, 2)}, "v"},
		{"current arc, recovery", []asn1.ObjectIdentifier{oid(current, 3)}, "r"},
		{"older arc, test", []asn1.ObjectIdentifier{oid(older, 1)}, "t"},
		{"older arc, vaccination", []asn1.ObjectIdentifier{oid(older, 2)}, "v"},
		{"older arc, recovery", []asn1.ObjectIdentifier{oid(older, 3)}, "r"},
		{"older arc, all three", []asn1.ObjectIdentifier{oid(older, 1), oid(older, 2), oid(older, 3)}, "tvr"},
		{"both arcs mixed", []asn1.ObjectIdentifier{oid(older, 1), oid(current, 3), serverAuthLike}, "tr"},
	}
	iat, exp := t0.Add(-24*time.Hour).Unix(), t0.AddDate(0, 6, 0).Unix()
	entries := map[string]any{
		"t": []any{testEntry("2026-11-22T08:00:00Z", "260415000")},
		"v": []any{vaccination(2, "2026-10-01", "URN:UVCI:01:AT:V2")},
		"r": []any{recovery("2026-10-01")},
	}
	for _, tt := range tests {
		cert := newSigningCert(t, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0), tt.usages...)
		v := NewVerifier(cert.trust(t), nil)
		for _, typ := range []string{"t", "v", "r"} {
			d := v.VerifyAt(cert.hc1(t, hcert("AT", iat, exp, typ, entries[typ]), nil), t0)
			want := KeyNotAllowed
			if strings.Contains(tt.allows, typ) {
				want = OK
			}
			if d.Reason != want {
				t.Errorf("%s, type %s: got %v %v (%s), want %v", tt.name, typ, d.Verdict, d.Reason, d.Detail, want)
			}
		}
	}
}
