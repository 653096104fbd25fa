package terminal

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// BenchmarkVerify measures a whole verification per format and algorithm;
// BenchmarkSignature measures the bare signature check of the same
// credential, so the difference is the cost of everything else.
func BenchmarkVerify(b *testing.B) {
	for _, tc := range benchCases(b) {
		v := NewVerifier(tc.trust, nil)
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if d := v.VerifyAt(tc.text, t0); d.Verdict != Pass {
					b.Fatalf("got %v %v (%s)", d.Verdict, d.Reason, d.Detail)
				}
			}
		})
	}
}

func BenchmarkSignature(b *testing.B) {
	for _, tc := range benchCases(b) {
		u, err := credential.Parse(tc.text)
		if err != nil {
			b.Fatal(err)
		}
		verify := rawVerify(b, tc.trust.Keys(u.Sign1.KID)[0].Verifier, u.Sign1.ToBeSigned(), u.Sign1.Signature())
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if !verify() {
					b.Fatal("signature does not verify")
				}
			}
		})
	}
}

// rawVerify returns the bare library call that checks sig over msg, with
// the signature already in the library's form: the yardstick for the
// verifier's overhead.
func rawVerify(b *testing.B, k *cose.Key, msg, sig []byte) func() bool {
	rs := func() []byte {
		var r, s big.Int
		der, err := asn1.Marshal(struct{ R, S *big.Int }{r.SetBytes(sig[:32]), s.SetBytes(sig[32:])})
		if err != nil {
			b.Fatal(err)
		}
		return der
	}
	switch k.Alg {
	case cose.SM2SM3:
		der := rs()
		return func() bool { return sm2.VerifyASN1WithSM2(k.Public.(*ecdsa.PublicKey), nil, msg, der) }
	case cose.EdDSA:
		return func() bool { return ed25519.Verify(k.Public.(ed25519.PublicKey), msg, sig) }
	case cose.ES256:
		der := rs()
		return func() bool {
			h := sha256.Sum256(msg)
			return ecdsa.VerifyASN1(k.Public.(*ecdsa.PublicKey), h[:], der)
		}
	case cose.PS256:
		return func() bool {
			h := sha256.Sum256(msg)
			return rsa.VerifyPSS(k.Public.(*rsa.PublicKey), crypto.SHA256, h[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
	}
	b.Fatalf("no raw verifier for %v", k.Alg)
	return nil
}

// BenchmarkVerifyBatch reports SM2 福码卡 verifications per second on all
// cores: the seed's school batch check needs 8000/s.
func BenchmarkVerifyBatch(b *testing.B) {
	s := testkeys.Issuer(b, cose.SM2SM3)
	texts := make([]string, 1000)
	for i := range texts {
		texts[i] = issue(b, s, claims(credential.KindCard))
	}
	v := NewVerifier(trustOf(b, s), nil)
	b.ResetTimer()
	for b.Loop() {
		for _, d := range v.VerifyBatch(texts, t0) {
			if d.Verdict != Pass {
				b.Fatalf("got %v %v", d.Verdict, d.Reason)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "verifications/s")
}

type benchCase struct {
	name  string
	text  string
	trust *Trust
}

func benchCases(b *testing.B) []benchCase {
	var cases []benchCase
	for _, alg := range ourAlgs {
		s := testkeys.Issuer(b, alg)
		for _, kind := range ourKinds {
			name := kind.String() + "/" + strings.ToLower(alg.String())
			cases = append(cases, benchCase{name, issue(b, s, claims(kind)), trustOf(b, s)})
		}
	}
	for _, alg := range []cose.Algorithm{cose.ES256, cose.PS256} {
		s, cert := dsc(b, alg)
		keys, err := ParseKeys(cert)
		if err != nil {
			b.Fatal(err)
		}
		tr := &Trust{}
		tr.AddKey(keys[0])
		cases = append(cases, benchCase{"dcc/" + strings.ToLower(alg.String()), issueDCC(b, s, cert, "v"), tr})
	}
	return cases
}

// BenchmarkParse measures everything before the signature check: prefix,
// Base45, inflate, COSE and claims decoding.
func BenchmarkParse(b *testing.B) {
	for _, tc := range benchCases(b) {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := credential.Parse(tc.text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
