package terminal

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// t0 is the fixed instant the tests verify at.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// trustOf returns a Trust with the public keys of signers.
func trustOf(t testing.TB, signers ...*cose.Signer) *Trust {
	t.Helper()
	tr := &Trust{}
	for _, s := range signers {
		keys, err := ParseKeys(testkeys.PublicPEM(t, s))
		if err != nil {
			t.Fatal(err)
		}
		tr.AddKey(keys[0])
	}
	return tr
}

// claims returns green card claims issued an hour before t0.
func claims(kind credential.Kind) *credential.Claims {
	c := &credential.Claims{
		Kind:     kind,
		Issuer:   "350000",
		IssuedAt: t0.Add(-time.Hour),
		Health:   credential.Health{Color: credential.ColorGreen, Name: "张*", IDTail: "1234", VaxDoses: 3},
	}
	switch kind {
	case credential.KindLive:
		c.IssuedAt = t0.Add(-time.Minute)
		c.ExpiresAt = t0.Add(4 * time.Minute)
	case credential.KindCard:
		c.ExpiresAt = c.IssuedAt.Add(30 * 24 * time.Hour)
		c.Serial = "FSC-000000000001"
	case credential.KindDynamic:
		c.ExpiresAt = c.IssuedAt.Add(24 * time.Hour)
	}
	return c
}

// issue signs c with s (a dynamic code is presented at t0 by a new holder).
func issue(t testing.TB, s *cose.Signer, c *credential.Claims) string {
	t.Helper()
	var holder *cose.Signer
	if c.Kind == credential.KindDynamic {
		holder = testkeys.New(t, cose.EdDSA)
	}
	text, err := credential.Issue(s, c, holder, t0)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// dsc returns a new DCC signer and its self-signed signing certificate
// (PEM), restricted to the DCC types given (none: unrestricted).
func dsc(t testing.TB, alg cose.Algorithm, types ...string) (*cose.Signer, []byte) {
	t.Helper()
	var usages []asn1.ObjectIdentifier
	for _, typ := range types {
		usages = append(usages, DCCKeyUsage(typ))
	}
	return newDSC(t, alg, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0), usages...)
}

// newDSC returns a new DCC signer and its self-signed signing certificate
// (PEM), valid from notBefore to notAfter, with the extended key usages
// given.
func newDSC(t testing.TB, alg cose.Algorithm, notBefore, notAfter time.Time, usages ...asn1.ObjectIdentifier) (*cose.Signer, []byte) {
	t.Helper()
	priv, s := testkeys.NewPair(t, alg)
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(1),
		Subject:            pkix.Name{CommonName: "DSC test", Country: []string{"AT"}},
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		UnknownExtKeyUsage: usages,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// issueDCC returns an HC1 text of type typ signed by s, naming the kid of cert.
func issueDCC(t testing.TB, s *cose.Signer, certPEM []byte, typ string) string {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	d := &credential.DCC{Type: typ, FamilyName: "Musterfrau", GivenName: "Erika", BirthDate: "1964-08-12",
		ID: "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B", Country: "AT", Doses: 2, TotalDoses: 2,
		TestResult: credential.NATNegative, TestAt: t0.Add(-5 * time.Hour)}
	msg, err := credential.SignDCC(rand.Reader, s, cose.KeyIDOf(block.Bytes), "AT", t0.Add(-24*time.Hour), t0.AddDate(0, 6, 0), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return credential.Encode(credential.KindDCC, msg)
}
