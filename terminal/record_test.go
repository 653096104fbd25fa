package terminal

import (
	"bytes"
	"testing"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

func TestRecordChain(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	d := NewVerifier(trustOf(t, s), nil).VerifyAt(issue(t, s, claims(credential.KindCard)), t0)
	r := NewRecord(&d, "dev-1", "venue-9", []byte("device secret"))
	if r.Name != "张**" || r.IDTail != "1234" || r.Verdict != "pass" || r.Format != "card" || !r.Time().Equal(t0) {
		t.Fatalf("record %+v does not reflect the decision", r)
	}
	if bytes.Contains(r.Serial, []byte("FSC-000000000001")) || len(r.Serial) != 32 {
		t.Errorf("serial kept as %x; want a 32-byte keyed hash", r.Serial)
	}
	if !bytes.Equal(r.Serial, SerialHash([]byte("device secret"), "FSC-000000000001")) || bytes.Equal(r.Serial, SerialHash([]byte("other"), "FSC-000000000001")) {
		t.Errorf("serial hash does not depend on exactly the key and serial")
	}
	prev := make([]byte, 32)
	r.Seq = 1
	h := ChainHash(prev, r)
	if !bytes.Equal(h, ChainHash(prev, r)) {
		t.Fatalf("ChainHash is not deterministic")
	}
	changed := *r
	changed.Verdict = "deny"
	if bytes.Equal(h, ChainHash(prev, &changed)) {
		t.Errorf("changing the verdict kept the hash")
	}
	if bytes.Equal(h, ChainHash(h, r)) {
		t.Errorf("changing the previous hash kept the hash")
	}
	r.Hash = []byte("anything")
	if !bytes.Equal(h, ChainHash(prev, r)) {
		t.Errorf("the stored Hash field leaks into its own hash")
	}
}
