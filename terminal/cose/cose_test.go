package cose

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

var algs = []Algorithm{SM2SM3, EdDSA, ES256, PS256}

// testSigners holds one key per algorithm, made once: RSA keys are slow.
var testSigners = map[Algorithm]*Signer{}

func signer(t testing.TB, alg Algorithm) *Signer {
	t.Helper()
	if s, ok := testSigners[alg]; ok {
		return s
	}
	priv, err := GenerateKey(rand.Reader, alg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	testSigners[alg] = s
	return s
}

func verifier(t testing.TB, s *Signer) *Key {
	t.Helper()
	k, err := NewKey(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignVerifyEachAlgorithm(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg.String(), func(t *testing.T) {
			s := signer(t, alg)
			kid, err := KeyID(s.Public())
			if err != nil {
				t.Fatal(err)
			}
			for _, opts := range []*SignOptions{nil, {KIDUnprotected: true}, {Untagged: true}} {
				msg, err := Sign(rand.Reader, s, kid, []byte("payload"), opts)
				if err != nil {
					t.Fatal(err)
				}
				m, err := Decode(msg)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if m.Alg != alg || !bytes.Equal(m.KID, kid) || string(m.Payload) != "payload" {
					t.Errorf("got alg %v kid %x payload %q, want %v %x payload", m.Alg, m.KID, m.Payload, alg, kid)
				}
				if err := m.Verify(verifier(t, s)); err != nil {
					t.Errorf("Verify with %+v: %v", opts, err)
				}
			}
		})
	}
}

// TestTamperEveryByte flips each byte of a signed message in turn: every
// variant must fail to decode or fail to verify.
func TestTamperEveryByte(t *testing.T) {
	for _, alg := range algs {
		s := signer(t, alg)
		key := verifier(t, s)
		msg, err := Sign(rand.Reader, s, []byte("kid12345"), []byte("the payload that matters"), nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range msg {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				bad := bytes.Clone(msg)
				bad[i] ^= mask
				m, err := Decode(bad)
				if err != nil {
					continue
				}
				if err := m.Verify(key); err == nil {
					t.Fatalf("%v: byte %d ^ %#x still verifies (payload %q)", alg, i, mask, m.Payload)
				}
			}
		}
	}
}

func TestWrongKeyOrAlgorithm(t *testing.T) {
	msg, err := Sign(rand.Reader, signer(t, SM2SM3), []byte("k"), []byte("p"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(msg)
	if err != nil {
		t.Fatal(err)
	}
	other, err := GenerateKey(rand.Reader, SM2SM3)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := NewKey(other.Public())
	if err := m.Verify(otherKey); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify with another SM2 key: got %v, want ErrSignature", err)
	}
	if err := m.Verify(verifier(t, signer(t, ES256))); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify with an ES256 key: got %v, want ErrSignature", err)
	}
}

// build returns a tagged COSE_Sign1 with the given headers and a dummy signature.
func build(t *testing.T, protected map[int64]any, unprotected map[int64]any, trailing ...byte) []byte {
	t.Helper()
	ph, err := EncMode.Marshal(protected)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := EncMode.Marshal(cbor.Tag{Number: 18, Content: []any{ph, unprotected, []byte("p"), make([]byte, 64)}})
	if err != nil {
		t.Fatal(err)
	}
	return append(msg, trailing...)
}

func TestDecodeRejects(t *testing.T) {
	ok := map[int64]any{1: int64(EdDSA), 4: []byte("k")}
	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"unknown critical header", build(t, map[int64]any{1: int64(EdDSA), 2: []int64{99}, 99: 1}, nil), ErrUnsupported},
		{"critical header absent", build(t, map[int64]any{1: int64(EdDSA), 2: []int64{4}}, nil), ErrMalformed},
		{"empty crit", build(t, map[int64]any{1: int64(EdDSA), 2: []int64{}}, nil), ErrMalformed},
		{"crit unprotected", build(t, ok, map[int64]any{2: []int64{1}}), ErrMalformed},
		{"no algorithm", build(t, map[int64]any{4: []byte("k")}, nil), ErrMalformed},
		{"label in both headers", build(t, ok, map[int64]any{4: []byte("k")}), ErrMalformed},
		{"empty kid", build(t, map[int64]any{1: int64(EdDSA), 4: []byte{}}, nil), ErrMalformed},
		{"trailing garbage", build(t, ok, nil, 0x00), ErrMalformed},
		{"not an array", []byte{0xa0}, ErrMalformed},
		{"empty", nil, ErrMalformed},
		{"too large", append([]byte{0x84}, make([]byte, MaxMessageSize)...), ErrMalformed},
		{"inner tag", []byte{0x84, 0x40, 0xa1, 0x04, 0xc1, 0x01, 0x41, 0x00, 0x41, 0x00}, ErrMalformed},
		{"indefinite payload", []byte{0x84, 0x40, 0xa0, 0x5f, 0x41, 0x00, 0xff, 0x41, 0x00}, ErrMalformed},
		{"duplicate key", []byte{0x84, 0x40, 0xa2, 0x04, 0x41, 0x00, 0x04, 0x41, 0x01, 0x41, 0x00, 0x41, 0x00}, ErrMalformed},
		{"text label only", []byte{0x84, 0x44, 0xa1, 0x61, 0x31, 0x27, 0xa0, 0x41, 0x00, 0x41, 0x00}, ErrMalformed},
		{"null payload", []byte{0x84, 0x43, 0xa1, 0x01, 0x27, 0xa0, 0xf6, 0x41, 0x00}, ErrMalformed},
	}
	for _, tt := range tests {
		if _, err := Decode(tt.msg); !errors.Is(err, tt.want) {
			t.Errorf("%s: Decode = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestProtectedKIDWins: with ProtectedKIDWins a kid in both headers is
// read from the protected one, whatever the unprotected one says; alg and
// content type stay refused where Decode refuses them.
func TestProtectedKIDWins(t *testing.T) {
	protected := map[int64]any{1: int64(EdDSA), 4: []byte("protected")}
	opts := &DecodeOptions{ProtectedKIDWins: true}
	tests := []struct {
		name        string
		msg         []byte
		wantKID     string // "" when an error is wanted
		wantDefault error  // what Decode says
	}{
		{"kid in both, the same", build(t, protected, map[int64]any{4: []byte("protected")}), "protected", ErrMalformed},
		{"kid in both, unprotected wrong", build(t, protected, map[int64]any{4: []byte("wrong")}), "protected", ErrMalformed},
		{"kid in both, unprotected empty", build(t, protected, map[int64]any{4: []byte{}}), "protected", ErrMalformed},
		{"kid unprotected only", build(t, map[int64]any{1: int64(EdDSA)}, map[int64]any{4: []byte("u")}), "u", nil},
		{"protected kid empty", build(t, map[int64]any{1: int64(EdDSA), 4: []byte{}}, map[int64]any{4: []byte("u")}), "", ErrMalformed},
		{"alg unprotected too", build(t, protected, map[int64]any{1: int64(EdDSA)}), "", ErrMalformed},
		{"content type in both", build(t, map[int64]any{1: int64(EdDSA), 3: 60}, map[int64]any{3: 60}), "", ErrMalformed},
	}
	for _, tt := range tests {
		m, err := DecodeWith(tt.msg, opts)
		switch {
		case tt.wantKID == "" && !errors.Is(err, ErrMalformed):
			t.Errorf("%s: DecodeWith = %v, want ErrMalformed", tt.name, err)
		case tt.wantKID != "" && (err != nil || string(m.KID) != tt.wantKID):
			t.Errorf("%s: DecodeWith = %v, kid %q; want kid %q", tt.name, err, kidOf(m), tt.wantKID)
		}
		if _, err := Decode(tt.msg); !errors.Is(err, tt.wantDefault) {
			t.Errorf("%s: Decode = %v, want %v", tt.name, err, tt.wantDefault)
		}
	}
}

func kidOf(m *UnverifiedSign1) []byte {
	if m == nil {
		return nil
	}
	return m.KID
}

func TestPEMRoundTrip(t *testing.T) {
	for _, alg := range algs {
		s := signer(t, alg)
		keyPEM, err := MarshalPrivateKeyPEM(s.priv)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParsePrivateKeyPEM(keyPEM)
		if err != nil || back.Alg != alg {
			t.Fatalf("%v: ParsePrivateKeyPEM = %v, %v", alg, back, err)
		}
		msg, err := Sign(rand.Reader, back, []byte("k"), []byte("p"), nil)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Decode(msg)
		if err := m.Verify(verifier(t, s)); err != nil {
			t.Errorf("%v: key read back from PEM signs wrongly: %v", alg, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, alg := range []Algorithm{SM2SM3, EdDSA} {
		msg, err := Sign(rand.Reader, signer(f, alg), []byte("kid"), []byte("payload"), nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
	}
	f.Add([]byte{0x84, 0x40, 0xa0, 0x41, 0x00, 0x41, 0x00})
	// A kid in both headers: malformed for Decode, the protected one for
	// DecodeWith(ProtectedKIDWins).
	f.Add([]byte{0x84, 0x45, 0xa2, 0x01, 0x27, 0x04, 0x40, 0xa1, 0x04, 0x41, 0x75, 0x41, 0x00, 0x41, 0x00})
	f.Add([]byte{0x84, 0x46, 0xa2, 0x01, 0x27, 0x04, 0x41, 0x70, 0xa1, 0x04, 0x41, 0x75, 0x41, 0x00, 0x41, 0x00})
	key := verifier(f, signer(f, EdDSA))
	lenient := &DecodeOptions{ProtectedKIDWins: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		strict, errStrict := Decode(data)
		m, err := DecodeWith(data, lenient)
		switch {
		case errStrict == nil && (err != nil || !bytes.Equal(m.KID, strict.KID) || m.Alg != strict.Alg):
			t.Fatalf("Decode accepts %x with kid %x, DecodeWith(ProtectedKIDWins) says %v", data, strict.KID, err)
		case err != nil:
			return
		}
		_ = m.Verify(key)
	})
}

func benchmarkVerify(b *testing.B, alg Algorithm, raw bool) {
	s := signer(b, alg)
	key := verifier(b, s)
	payload := bytes.Repeat([]byte{0xa5}, 180)
	msg, err := Sign(rand.Reader, s, []byte("kid12345"), payload, nil)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Decode(msg)
	if err != nil {
		b.Fatal(err)
	}
	tbs := toBeSigned(m.protected, m.Payload)
	for b.Loop() {
		if raw {
			err = key.Verify(tbs, m.signature)
		} else {
			err = m.Verify(key)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyVerify(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg.String(), func(b *testing.B) { benchmarkVerify(b, alg, true) })
	}
}
