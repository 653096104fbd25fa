package terminal

import (
	"strings"
	"testing"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// FuzzParsePolicy: any input is a policy that validates, or an error.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"version": 7, "colors": {"yellow": "deny"}, "nat_max_age": "48h", "formats": ["card"]}`))
	f.Add([]byte(`{"card_max_age": "1000h"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePolicy returned a policy with error %v", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePolicy accepted a policy that does not validate: %v", err)
		}
	})
}

// FuzzParseKeys: any input gives keys that can verify, or an error.
func FuzzParseKeys(f *testing.F) {
	f.Add(testkeys.PublicPEM(f, testkeys.Issuer(f, cose.SM2SM3)))
	f.Add(testkeys.PublicPEM(f, testkeys.Issuer(f, cose.EdDSA)))
	_, cert := dsc(f, cose.ES256, "v")
	f.Add(cert)
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseKeys(data)
		if err != nil {
			return
		}
		for _, k := range keys {
			if len(k.KID) != cose.KIDSize || k.Verifier == nil {
				t.Fatalf("key with kid %x, verifier %v", k.KID, k.Verifier)
			}
			_ = k.Verifier.Verify([]byte("m"), make([]byte, 64))
		}
	})
}

// FuzzParseRevocations: every accepted entry revokes what it names.
func FuzzParseRevocations(f *testing.F) {
	f.Add([]byte("# list\nFSC-1\n\nsha256:6ddef2c4f4817ffbe1de682642bb670bed35fdbdc91a39c54d1b8a6924d84bc8\n"))
	f.Add([]byte("sha256:zz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		hashes, err := ParseRevocations(data)
		if err != nil {
			return
		}
		var tr Trust
		for _, h := range hashes {
			tr.RevokeHash(h)
		}
		if len(hashes) > 0 && len(tr.revoked) == 0 {
			t.Fatalf("%d entries revoked nothing", len(hashes))
		}
	})
}

// FuzzVerify: the verifier never panics, and a text it was not given a key
// for never passes.
func FuzzVerify(f *testing.F) {
	s := testkeys.Issuer(f, cose.EdDSA)
	for _, kind := range ourKinds {
		f.Add(issue(f, s, claims(kind)))
	}
	f.Add("HC1:")
	f.Add("FSC1:" + "A")
	v := NewVerifier(trustOf(f, s), &Options{Replays: &MemoryReplays{}})
	stranger := NewVerifier(nil, nil)
	f.Fuzz(func(t *testing.T, text string) {
		d := v.VerifyAt(text, t0)
		if d.Verdict < Pass || d.Verdict > Deny || d.Reason == "" {
			t.Fatalf("decision %v %q", d.Verdict, d.Reason)
		}
		if d := stranger.VerifyAt(text, t0); d.Verdict == Pass || d.Verdict == Warn {
			t.Fatalf("a verifier with no keys gave %v %v", d.Verdict, d.Reason)
		}
		if d.Verdict == Pass && d.Format == 0 {
			t.Fatalf("pass without a format")
		}
		_ = credential.StepAt(d.At)
	})
}

func FuzzParseRevocationDelta(f *testing.F) {
	f.Add([]byte("+FSC-1\n-sha256:" + strings.Repeat("ab", 32) + "\n# c\n"))
	f.Add([]byte("+\n-\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		add, remove, err := ParseRevocationDelta(data)
		if err != nil && (add != nil || remove != nil) {
			t.Fatalf("an error with entries: %v", err)
		}
	})
}
