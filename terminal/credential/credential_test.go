package credential

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/base45"
	"github.com/fuscan/fuscan/terminal/cose"
)

// t0 is the fixed instant the tests issue and present codes at.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// cst is China Standard Time: issued times in another zone must come back
// in UTC.
var cst = time.FixedZone("CST", 8*60*60)

// testClaims returns claims of kind with every field set, times given below
// second precision and outside UTC.
func testClaims(kind Kind) *Claims {
	iat := t0.Add(-time.Hour + 123456789*time.Nanosecond).In(cst)
	c := &Claims{
		Kind:     kind,
		Issuer:   "350000",
		IssuedAt: iat,
		Health: Health{
			Color:      ColorYellow,
			Name:       "张*",
			IDTail:     "123X",
			NATAt:      t0.Add(-20*time.Hour + 999*time.Millisecond).In(cst),
			NATResult:  NATNegative,
			VaxDoses:   3,
			TravelRisk: true,
		},
	}
	switch kind {
	case KindLive:
		c.ExpiresAt = iat.Add(5 * time.Minute)
	case KindCard:
		c.ExpiresAt = iat.Add(30 * 24 * time.Hour)
		c.NotBefore = iat
		c.Serial = "FSC-000000000001"
	case KindDynamic:
		c.ExpiresAt = iat.Add(24 * time.Hour)
	}
	return c
}

// issue returns the text of c signed by s; a dynamic code is presented at t0
// by holder.
func issue(t testing.TB, s *cose.Signer, c *Claims, holder *cose.Signer) string {
	t.Helper()
	text, err := Issue(s, c, holder, t0)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return text
}

// mustParse parses text, failing the test on error.
func mustParse(t testing.TB, text string) *Unverified {
	t.Helper()
	u, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return u
}

// wire returns c as Parse gives it back: times in whole seconds, in UTC.
func wire(c Claims) Claims {
	sec := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.Truncate(time.Second).UTC()
	}
	c.IssuedAt, c.ExpiresAt, c.NotBefore = sec(c.IssuedAt), sec(c.ExpiresAt), sec(c.NotBefore)
	c.Health.NATAt = sec(c.Health.NATAt)
	return c
}

var (
	ourKinds   = []Kind{KindLive, KindCard, KindDynamic}
	ourAlgs    = []cose.Algorithm{cose.SM2SM3, cose.EdDSA, cose.ES256}
	kindPrefix = map[Kind]string{KindLive: PrefixLive, KindCard: PrefixCard, KindDynamic: PrefixDynamic, KindDCC: PrefixDCC}
)

func TestIssueParseRoundTrip(t *testing.T) {
	for _, kind := range ourKinds {
		for _, alg := range ourAlgs {
			t.Run(kind.String()+"/"+alg.String(), func(t *testing.T) {
				s := testkeys.Issuer(t, alg)
				var holder *cose.Signer
				if kind == KindDynamic {
					holder = testkeys.New(t, alg)
				}
				c := testClaims(kind)
				text := issue(t, s, c, holder)
				if !strings.HasPrefix(text, kindPrefix[kind]) {
					t.Fatalf("got text %.10q..., want prefix %q", text, kindPrefix[kind])
				}
				u := mustParse(t, text)
				if u.Kind != kind {
					t.Errorf("got kind %v, want %v", u.Kind, kind)
				}
				if want := wire(*c); !reflect.DeepEqual(u.Claims, want) {
					t.Errorf("got claims %+v, want %+v", u.Claims, want)
				}
				for name, at := range map[string]time.Time{"iat": u.Claims.IssuedAt, "exp": u.Claims.ExpiresAt, "nat": u.Claims.Health.NATAt} {
					if at.Location() != time.UTC {
						t.Errorf("got %s in %v, want UTC", name, at.Location())
					}
				}
				kid, err := cose.KeyID(s.Public())
				if err != nil {
					t.Fatal(err)
				}
				if u.Sign1.Alg != alg || !bytes.Equal(u.Sign1.KID, kid) {
					t.Errorf("got alg %v kid %x, want %v %x", u.Sign1.Alg, u.Sign1.KID, alg, kid)
				}
				if err := u.Sign1.Verify(testkeys.Verifier(t, s)); err != nil {
					t.Errorf("Verify: got %v, want nil", err)
				}
				if kind != KindDynamic {
					if err := u.VerifyHolder(); err == nil {
						t.Errorf("VerifyHolder of a %v code: got nil, want an error", kind)
					}
					return
				}
				if u.Step != StepAt(t0) {
					t.Errorf("got step %d, want %d", u.Step, StepAt(t0))
				}
				if err := u.VerifyHolder(); err != nil {
					t.Errorf("VerifyHolder: got %v, want nil", err)
				}
				if len(u.HolderSignature()) == 0 {
					t.Errorf("got an empty holder signature")
				}
			})
		}
	}
}

// TestPresentBindsStepAndHolder checks that the holder signature covers the
// step and that only the bound holder key can present.
func TestPresentBindsStepAndHolder(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	holder := testkeys.New(t, cose.EdDSA)
	c := testClaims(KindDynamic)
	spki, err := spkiOf(holder.Public())
	if err != nil {
		t.Fatal(err)
	}
	c.HolderKey = spki
	signed, err := Sign(rand.Reader, s, c)
	if err != nil {
		t.Fatal(err)
	}
	step := StepAt(t0) + 1
	text, err := Present(rand.Reader, holder, signed, step)
	if err != nil {
		t.Fatal(err)
	}
	u := mustParse(t, text)
	if u.Step != step {
		t.Errorf("got step %d, want %d", u.Step, step)
	}
	if err := u.VerifyHolder(); err != nil {
		t.Errorf("VerifyHolder: got %v, want nil", err)
	}

	// The same signature under another step must not verify.
	u.holderTBS = holderTBS(signed, step+1)
	if err := u.VerifyHolder(); !errors.Is(err, cose.ErrSignature) {
		t.Errorf("VerifyHolder of a moved step: got %v, want ErrSignature", err)
	}

	thief := testkeys.New(t, cose.EdDSA)
	text, err = Present(rand.Reader, thief, signed, step)
	if err != nil {
		t.Fatal(err)
	}
	if err := mustParse(t, text).VerifyHolder(); !errors.Is(err, cose.ErrSignature) {
		t.Errorf("VerifyHolder of another holder's presentation: got %v, want ErrSignature", err)
	}
}

func TestDCCRoundTrip(t *testing.T) {
	iat, exp := t0.Add(-24*time.Hour), t0.AddDate(0, 6, 0)
	base := DCC{FamilyName: "Musterfrau-Gößinger", GivenName: "Erika", BirthDate: "1964-08-12",
		ID: "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B", Country: "AT"}
	entries := map[string]DCC{}
	v := base
	v.Type, v.Doses, v.TotalDoses = "v", 2, 3
	entries["vaccination"] = v
	tn := base
	tn.Type, tn.TestResult, tn.TestAt = "t", NATNegative, t0.Add(-5*time.Hour)
	entries["test negative"] = tn
	tp := tn
	tp.TestResult = NATPositive
	entries["test positive"] = tp
	r := base
	r.Type = "r"
	entries["recovery"] = r

	kid := cose.KeyIDOf([]byte("a DER signing certificate"))
	for _, alg := range []cose.Algorithm{cose.ES256, cose.PS256} {
		s := testkeys.Issuer(t, alg)
		key := testkeys.Verifier(t, s)
		for name, d := range entries {
			for _, opts := range []*cose.SignOptions{{}, {KIDUnprotected: true}} {
				t.Run(fmt.Sprintf("%v/%s/kid unprotected %v", alg, name, opts.KIDUnprotected), func(t *testing.T) {
					msg, err := SignDCC(rand.Reader, s, kid, "AT", iat, exp, &d, opts)
					if err != nil {
						t.Fatal(err)
					}
					u := mustParse(t, Encode(KindDCC, msg))
					checkDCC(t, u, d, iat, exp)
					if !bytes.Equal(u.Sign1.KID, kid) {
						t.Errorf("got kid %x, want %x", u.Sign1.KID, kid)
					}
					if err := u.Sign1.Verify(key); err != nil {
						t.Errorf("Verify: got %v, want nil", err)
					}
					// The EU's common test Z2: a DCC must be compressed.
					if _, err := Parse(PrefixDCC + base45.Encode(msg)); !errors.Is(err, ErrMalformed) {
						t.Errorf("uncompressed DCC: got %v, want ErrMalformed", err)
					}
				})
			}
		}
	}
}

// checkDCC compares a parsed DCC with d as issued, and its Claims mapping.
func checkDCC(t *testing.T, u *Unverified, d DCC, iat, exp time.Time) {
	t.Helper()
	if u.Kind != KindDCC || u.DCC == nil {
		t.Fatalf("got kind %v DCC %v, want dcc with content", u.Kind, u.DCC)
	}
	want := d
	switch d.Type {
	case "v":
		want.TestResult, want.TestAt = NATNone, time.Time{}
	case "t":
		want.Doses, want.TotalDoses = 0, 0
		want.TestAt = d.TestAt.Truncate(time.Second).UTC()
	case "r":
		want.Doses, want.TotalDoses, want.TestResult, want.TestAt = 0, 0, NATNone, time.Time{}
	}
	if !reflect.DeepEqual(*u.DCC, want) {
		t.Errorf("got DCC %+v, want %+v", *u.DCC, want)
	}
	wantClaims := Claims{
		Kind:      KindDCC,
		Issuer:    "AT",
		IssuedAt:  iat.UTC(),
		ExpiresAt: exp.UTC(),
		Serial:    want.ID,
		Health:    Health{Name: want.FamilyName, VaxDoses: want.Doses, NATAt: want.TestAt, NATResult: want.TestResult},
	}
	if !reflect.DeepEqual(u.Claims, wantClaims) {
		t.Errorf("got claims %+v, want %+v", u.Claims, wantClaims)
	}
}

func TestStepAt(t *testing.T) {
	tests := []struct {
		at   time.Time
		want int64
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(29, 999999999), 0},
		{time.Unix(30, 0), 1},
		{time.Unix(59, 0).In(cst), 1},
		{t0, t0.Unix() / StepSeconds},
		{t0.Add(StepSeconds*time.Second - time.Nanosecond), t0.Unix() / StepSeconds},
		{t0.Add(StepSeconds * time.Second), t0.Unix()/StepSeconds + 1},
		{time.Unix(-1, 0), -1},
		{time.Unix(0, -1), -1},
		{time.Unix(-30, 0), -1},
		{time.Unix(-31, 0), -2},
		{time.Unix(-60, 0), -2},
		{time.Unix(-61, 0), -3},
	}
	for _, tt := range tests {
		got := StepAt(tt.at)
		if got != tt.want {
			t.Errorf("StepAt(%v): got %d, want %d", tt.at, got, tt.want)
		}
		start, next := StepTime(got), StepTime(got+1)
		if tt.at.Before(start) || !tt.at.Before(next) {
			t.Errorf("StepAt(%v) = %d: got step [%v, %v), want it to hold the time", tt.at, got, start, next)
		}
		if start.Location() != time.UTC {
			t.Errorf("StepTime(%d): got location %v, want UTC", got, start.Location())
		}
		if again := StepAt(start); again != got {
			t.Errorf("StepAt(StepTime(%d)): got %d, want %d", got, again, got)
		}
	}
}

// body returns text without its prefix.
func body(text string) string { return text[strings.IndexByte(text, ':')+1:] }

func TestParseErrors(t *testing.T) {
	texts := map[Kind]string{}
	for _, kind := range ourKinds {
		var holder *cose.Signer
		if kind == KindDynamic {
			holder = testkeys.New(t, cose.EdDSA)
		}
		texts[kind] = issue(t, testkeys.Issuer(t, cose.EdDSA), testClaims(kind), holder)
	}
	live, card, dynamic := texts[KindLive], texts[KindCard], texts[KindDynamic]
	tests := []struct {
		name, text string
		want       error
	}{
		{"empty", "", ErrFormatUnknown},
		{"URL", "https://example.com/FSL1:", ErrFormatUnknown},
		{"product barcode", "6901234567892", ErrFormatUnknown},
		{"lowercase prefix", "fsl1:" + body(live), ErrFormatUnknown},
		{"prefix without colon", "FSL1" + body(live), ErrFormatUnknown},
		{"future version", "FSL2:" + body(live), ErrFormatUnknown},
		{"leading space", " " + live, ErrFormatUnknown},
		{"prefix only", PrefixLive, ErrMalformed},
		{"HC1 prefix only", PrefixDCC, ErrMalformed},
		{"garbage", PrefixCard + "NOT A CODE", ErrMalformed},
		{"invalid base45", PrefixLive + "!!!", ErrMalformed},
		{"base45 of text", PrefixDynamic + base45.Encode([]byte("hello")), ErrMalformed},
		{"zlib of text", PrefixLive + base45.Encode(Deflate([]byte("hello"))), ErrMalformed},
		{"live as card", PrefixCard + body(live), ErrMalformed},
		{"card as live", PrefixLive + body(card), ErrMalformed},
		{"live as dynamic", PrefixDynamic + body(live), ErrMalformed},
		{"dynamic as card", PrefixCard + body(dynamic), ErrMalformed},
		{"card as DCC", PrefixDCC + body(card), ErrMalformed},
		{"truncated", live[:len(live)-3], ErrMalformed},
	}
	for _, tt := range tests {
		_, err := Parse(tt.text)
		other := ErrMalformed
		if tt.want == ErrMalformed {
			other = ErrFormatUnknown
		}
		if !errors.Is(err, tt.want) || errors.Is(err, other) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}

	// Each signs its kind: a valid live code is no card.
	for _, text := range []string{PrefixCard + body(live), PrefixLive + body(card)} {
		if _, err := Parse(text); err == nil || !strings.Contains(err.Error(), "signed kind") {
			t.Errorf("Parse(%.10q...): got %v, want a signed kind mismatch", text, err)
		}
	}
}

func TestIssueRefusesBadClaims(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	tests := []struct {
		name   string
		kind   Kind
		change func(*Claims)
		holder bool
		ok     bool
	}{
		{"valid live", KindLive, func(*Claims) {}, false, true},
		{"valid card", KindCard, func(*Claims) {}, false, true},
		{"valid dynamic", KindDynamic, func(*Claims) {}, true, true},
		{"live without expiry", KindLive, func(c *Claims) { c.ExpiresAt = time.Time{} }, false, true},
		{"no test", KindLive, func(c *Claims) { c.Health.NATAt, c.Health.NATResult = time.Time{}, NATNone }, false, true},
		{"longest fields", KindCard, func(c *Claims) {
			c.Issuer, c.Serial = strings.Repeat("9", maxIssuer), strings.Repeat("S", maxSerial)
			c.Health.Name, c.Health.IDTail = strings.Repeat("名", maxName/3), strings.Repeat("0", maxIDTail)
		}, false, true},
		{"most doses", KindCard, func(c *Claims) { c.Health.VaxDoses = maxDoses }, false, true},

		{"card without serial", KindCard, func(c *Claims) { c.Serial = "" }, false, false},
		{"card without expiry", KindCard, func(c *Claims) { c.ExpiresAt = time.Time{} }, false, false},
		{"dynamic without holder key", KindDynamic, func(*Claims) {}, false, false},
		{"dynamic without expiry", KindDynamic, func(c *Claims) { c.ExpiresAt = time.Time{} }, true, false},
		{"live with holder key", KindLive, func(c *Claims) { c.HolderKey = []byte{0x30, 0x00} }, false, false},
		{"no issued-at", KindLive, func(c *Claims) { c.IssuedAt = time.Time{} }, false, false},
		{"expiry before issue", KindCard, func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Second) }, false, false},
		{"expiry at issue", KindLive, func(c *Claims) { c.ExpiresAt = c.IssuedAt }, false, false},
		{"kind 0", 0, func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(time.Hour) }, false, false},
		{"kind dcc", KindDCC, func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(time.Hour) }, false, false},
		{"colour 0", KindLive, func(c *Claims) { c.Health.Color = ColorNone }, false, false},
		{"colour 4", KindLive, func(c *Claims) { c.Health.Color = 4 }, false, false},
		{"test time without result", KindLive, func(c *Claims) { c.Health.NATResult = NATNone }, false, false},
		{"test result without time", KindLive, func(c *Claims) { c.Health.NATAt = time.Time{} }, false, false},
		{"test result 3", KindLive, func(c *Claims) { c.Health.NATResult = 3 }, false, false},
		{"too many doses", KindCard, func(c *Claims) { c.Health.VaxDoses = maxDoses + 1 }, false, false},
		{"name with newline", KindCard, func(c *Claims) { c.Health.Name = "张*\nPASS" }, false, false},
		{"name with bell", KindCard, func(c *Claims) { c.Health.Name = "张\a" }, false, false},
		{"name with DEL", KindCard, func(c *Claims) { c.Health.Name = "张\x7f" }, false, false},
		{"name with C1 control", KindCard, func(c *Claims) { c.Health.Name = "张\u0085" }, false, false},
		{"name with line separator", KindCard, func(c *Claims) { c.Health.Name = "张\u2028*" }, false, false},
		{"name not UTF-8", KindCard, func(c *Claims) { c.Health.Name = "\xff*" }, false, false},
		{"ID tail with tab", KindCard, func(c *Claims) { c.Health.IDTail = "12\t4" }, false, false},
		{"serial with CR", KindCard, func(c *Claims) { c.Serial = "FSC-1\r" }, false, false},
		{"name too long", KindCard, func(c *Claims) { c.Health.Name = strings.Repeat("名", maxName/3+1) }, false, false},
		{"ID tail too long", KindCard, func(c *Claims) { c.Health.IDTail = strings.Repeat("0", maxIDTail+1) }, false, false},
		{"serial too long", KindCard, func(c *Claims) { c.Serial = strings.Repeat("S", maxSerial+1) }, false, false},
		{"issuer too long", KindCard, func(c *Claims) { c.Issuer = strings.Repeat("9", maxIssuer+1) }, false, false},
	}
	for _, tt := range tests {
		c := testClaims(tt.kind)
		if tt.kind == 0 || tt.kind == KindDCC {
			c = testClaims(KindLive)
			c.Kind = tt.kind
		}
		tt.change(c)
		var holder *cose.Signer
		if tt.holder {
			holder = testkeys.Issuer(t, cose.EdDSA)
		}
		text, err := Issue(s, c, holder, t0)
		if tt.ok {
			if err != nil {
				t.Errorf("%s: got %v, want nil", tt.name, err)
				continue
			}
			if _, err := Parse(text); err != nil {
				t.Errorf("%s: Parse: got %v, want nil", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: got text %.16q..., want an error", tt.name, text)
		}
	}
}

// TestEnumNames: every named value of each enum round-trips through its
// String and Parse functions as the command line and files use them, and
// no other value has a name.
func TestEnumNames(t *testing.T) {
	roundTrip(t, "Kind", []Kind{KindLive, KindCard, KindDynamic, KindDCC}, ParseKind)
	roundTrip(t, "Color", []Color{ColorGreen, ColorYellow, ColorRed}, ParseColor)
	roundTrip(t, "NATResult", []NATResult{NATNegative, NATPositive}, ParseNATResult)
	if ColorNone.String() != "" || NATNone.String() != "" {
		t.Errorf("ColorNone, NATNone: got %q, %q, want empty names", ColorNone, NATNone)
	}
}

// roundTrip checks an enum of uint8 values: named holds its named values.
func roundTrip[E ~uint8](t *testing.T, name string, named []E, parse func(string) (E, error)) {
	t.Helper()
	for i := range 256 {
		v := E(i)
		s := fmt.Sprint(v)
		got, err := parse(s)
		if slices.Contains(named, v) {
			if err != nil || got != v {
				t.Errorf("%s: Parse(%q) = %v, %v, want %v", name, s, got, err, v)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s(%d): Parse(%q) = %v, want an error", name, i, s, got)
		}
	}
	if _, err := parse("passport"); err == nil {
		t.Errorf("%s: Parse(passport): got nil error, want one", name)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, kind := range ourKinds {
		var holder *cose.Signer
		if kind == KindDynamic {
			holder = testkeys.New(b, cose.EdDSA)
		}
		text := issue(b, testkeys.Issuer(b, cose.EdDSA), testClaims(kind), holder)
		b.Run(kind.String(), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
