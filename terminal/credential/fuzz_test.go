package credential

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/base45"
	"github.com/fuscan/fuscan/terminal/cose"
)

// validTexts returns a valid code text of every kind: our three in two
// algorithms each, and EU DCCs of every type.
func validTexts(t testing.TB) []string {
	t.Helper()
	var texts []string
	for _, alg := range []cose.Algorithm{cose.EdDSA, cose.SM2SM3} {
		for _, kind := range ourKinds {
			var holder *cose.Signer
			if kind == KindDynamic {
				holder = testkeys.New(t, alg)
			}
			texts = append(texts, issue(t, testkeys.Issuer(t, alg), testClaims(kind), holder))
		}
	}
	for _, msg := range dccMessages(t) {
		texts = append(texts, Encode(KindDCC, msg))
	}
	return texts
}

// dccMessages returns signed EU DCC messages of every type.
func dccMessages(t testing.TB) [][]byte {
	t.Helper()
	kid := cose.KeyIDOf([]byte("a DER signing certificate"))
	var msgs [][]byte
	for i, typ := range []string{"v", "t", "r"} {
		d := &DCC{Type: typ, FamilyName: "Musterfrau", GivenName: "Erika", BirthDate: "1964-08-12",
			ID: "URN:UVCI:01:AT:1#B", Country: "AT", Doses: 2, TotalDoses: 2, TestResult: NATPositive, TestAt: t0.Add(-5 * time.Hour)}
		msg, err := SignDCC(rand.Reader, testkeys.Issuer(t, cose.ES256), kid, "AT", t0.Add(-24*time.Hour), t0.AddDate(0, 6, 0), d, &cose.SignOptions{KIDUnprotected: i == 1})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

// payloadOf returns the bytes a text's Base45 and zlib layers hold.
func payloadOf(t testing.TB, text string) []byte {
	t.Helper()
	z, err := base45.Decode(body(text))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Inflate(z)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzParse runs the whole text pipeline: prefix, Base45, zlib, COSE,
// claims, dynamic code and DCC.
func FuzzParse(f *testing.F) {
	for _, text := range validTexts(f) {
		f.Add(text)
	}
	msg := cardMessage(f)
	for _, h := range hostileTexts(f, msg) {
		if len(h.data) <= 2*MaxTextLen {
			f.Add(string(h.data))
		}
	}
	for _, h := range hostileClaims(f)[:8] {
		f.Add(signedText(f, KindCard, h.data))
	}
	for _, d := range dccInterops(f) {
		f.Add(Encode(KindDCC, d.msg))
	}
	for _, msg := range dccMessages(f) {
		f.Add(PrefixDCC + base45.Encode(msg)) // not compressed: refused
	}
	f.Add("")
	f.Add(PrefixLive)
	f.Add(PrefixDCC)
	f.Add(PrefixCard + base45.Encode(zlibOf(f, MaxInflated+1, zlib.BestCompression, nil)))
	key := testkeys.Verifier(f, testkeys.Issuer(f, cose.EdDSA))
	f.Fuzz(func(t *testing.T, text string) {
		u, err := Parse(text)
		if err != nil {
			if u != nil {
				t.Fatalf("Parse(%q): got %+v with error %v, want nil", text, u, err)
			}
			if errors.Is(err, ErrFormatUnknown) == errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%q): got %v, want exactly one of ErrFormatUnknown and ErrMalformed", text, err)
			}
			return
		}
		kind, _, ok := cutPrefix(text)
		switch {
		case !ok || u.Kind != kind:
			t.Fatalf("Parse(%q): got kind %v, want the prefix's", text, u.Kind)
		case len(text) > MaxTextLen:
			t.Fatalf("Parse: got a text of %d characters accepted, want at most %d", len(text), MaxTextLen)
		case u.Sign1 == nil:
			t.Fatalf("Parse(%q): got no Sign1", text)
		case kind == KindDCC && (u.DCC == nil || u.Claims.Kind != KindDCC):
			t.Fatalf("Parse(%q): got DCC %v claims kind %v, want dcc content", text, u.DCC, u.Claims.Kind)
		case kind != KindDCC && (u.DCC != nil || u.Claims.Kind != kind || u.Claims.check() != nil):
			t.Fatalf("Parse(%q): got claims %+v DCC %v, want valid %v claims", text, u.Claims, u.DCC, kind)
		case u.Step < 0:
			t.Fatalf("Parse(%q): got step %d", text, u.Step)
		}
		_ = u.Sign1.Verify(key)
		if kind == KindDynamic {
			_ = u.VerifyHolder()
		}
	})
}

// FuzzInflate checks Inflate against the standard zlib reader: both accept
// the same streams, with the same output, and never more than MaxInflated
// bytes.
func FuzzInflate(f *testing.F) {
	msg := cardMessage(f)
	f.Add(Deflate(msg))
	f.Add(Deflate(nil))
	for _, h := range damagedStreams(msg) {
		f.Add(h.data)
	}
	for _, n := range []int{MaxInflated, MaxInflated + 1} {
		f.Add(zlibOf(f, n, zlib.BestCompression, nil))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// No text carries more. Larger inputs (TestInflateCap and
		// TestInflateBomb cover them) take the fuzzer minutes to minimize.
		if len(data) > base45.DecodedLen(MaxTextLen) {
			return
		}
		got, err := Inflate(data)
		want, ok := referenceInflate(data)
		if ok != (err == nil) {
			t.Fatalf("Inflate(%x): got error %v, want acceptance %v", data, err, ok)
		}
		if err != nil {
			return
		}
		if len(got) > MaxInflated {
			t.Fatalf("Inflate: got %d bytes, want at most %d", len(got), MaxInflated)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Inflate(%x): got %x, want %x", data, got, want)
		}
	})
}

// referenceInflate inflates data the plain way and reports whether the
// stream is whole, checked, alone, within MaxInflated bytes and without a
// preset dictionary (which compress/zlib accepts when DICTID is 1, the
// Adler-32 of the empty dictionary it is given).
func referenceInflate(data []byte) ([]byte, bool) {
	if len(data) >= 2 && data[1]&0x20 != 0 {
		return nil, false
	}
	src := bytes.NewReader(data)
	r, err := zlib.NewReader(src)
	if err != nil {
		return nil, false
	}
	// Within the limit, ReadAll ends at the reader's io.EOF, which comes only
	// after the checksum.
	out, err := io.ReadAll(io.LimitReader(r, MaxInflated+1))
	return out, err == nil && len(out) <= MaxInflated && src.Len() == 0
}

// FuzzClaims checks that accepted claims obey the per-kind rules and come
// back unchanged through encodeClaims.
func FuzzClaims(f *testing.F) {
	for _, kind := range ourKinds {
		c := testClaims(kind)
		if kind == KindDynamic {
			c.HolderKey = []byte{0x30, 0x03, 0x02, 0x01, 0x00}
		}
		payload, err := encodeClaims(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload)
	}
	for _, h := range hostileClaims(f) {
		f.Add(h.data)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := decodeClaims(payload)
		if err != nil {
			return
		}
		if err := c.check(); err != nil {
			t.Fatalf("decodeClaims(%x): got claims that fail check: %v", payload, err)
		}
		again, err := encodeClaims(&c)
		if err != nil {
			t.Fatalf("encodeClaims of decoded %+v: %v", c, err)
		}
		c2, err := decodeClaims(again)
		if err != nil || !reflect.DeepEqual(c2, c) {
			t.Fatalf("claims %+v: got %+v, %v after a round trip", c, c2, err)
		}
	})
}

// FuzzDynamic checks the dynamic-code array reader.
func FuzzDynamic(f *testing.F) {
	for _, alg := range ourAlgs {
		holder := testkeys.New(f, alg)
		text, err := Issue(testkeys.Issuer(f, cose.EdDSA), testClaims(KindDynamic), holder, t0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payloadOf(f, text))
	}
	for _, h := range hostileDynamic(f, dynamicCredential(f, testkeys.New(f, cose.EdDSA))) {
		f.Add(h.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := parseDynamic(data)
		if err != nil {
			return
		}
		switch {
		case u.Kind != KindDynamic || u.Claims.Kind != KindDynamic:
			t.Fatalf("parseDynamic(%x): got kind %v claims kind %v, want dynamic", data, u.Kind, u.Claims.Kind)
		case u.Step < 0:
			t.Fatalf("parseDynamic(%x): got step %d", data, u.Step)
		case u.Claims.check() != nil:
			t.Fatalf("parseDynamic(%x): got claims that fail check: %v", data, u.Claims.check())
		}
		_ = u.VerifyHolder()
	})
}

// FuzzDCC checks the EU DCC reader.
func FuzzDCC(f *testing.F) {
	for _, msg := range dccMessages(f) {
		f.Add(msg)
	}
	for _, h := range hostileDCC(f) {
		f.Add(signedMessage(f, KindDCC, h.data))
	}
	for _, d := range dccInterops(f) { // floats, several entries, kid in both headers
		f.Add(d.msg)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := parseDCC(data)
		if err != nil {
			return
		}
		d, c := u.DCC, &u.Claims
		switch {
		case u.Kind != KindDCC || c.Kind != KindDCC || d == nil:
			t.Fatalf("parseDCC(%x): got kind %v claims kind %v DCC %v", data, u.Kind, c.Kind, d)
		case c.IssuedAt.IsZero() || c.ExpiresAt.IsZero():
			t.Fatalf("parseDCC(%x): got iat %v exp %v, want both", data, c.IssuedAt, c.ExpiresAt)
		case !schemaText(c.Issuer, maxDCCText) || !schemaText(c.Health.Name, maxDCCText) || !schemaText(d.GivenName, maxDCCText) || !schemaText(c.Serial, maxDCCText):
			t.Fatalf("parseDCC(%x): got unchecked text in %+v", data, c)
		case !c.ExpiresAt.After(c.IssuedAt) || c.IssuedAt.Unix() < 0:
			t.Fatalf("parseDCC(%x): got iat %v exp %v", data, c.IssuedAt, c.ExpiresAt)
		case d.Type == "v" && (d.Doses < 0 || d.TotalDoses < 0):
			t.Fatalf("parseDCC(%x): got doses %d/%d", data, d.Doses, d.TotalDoses)
		case d.Type == "t" && d.TestResult == NATNone:
			t.Fatalf("parseDCC(%x): got a test without a result", data)
		case d.Type != "v" && d.Type != "t" && d.Type != "r":
			t.Fatalf("parseDCC(%x): got type %q", data, d.Type)
		}
	})
}
