package credential_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/fxamacker/cbor/v2"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/base45"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// The worked example of docs/credential-format.md, section "A worked
// example". TestDocExample rebuilds every value from the fixed key and claims
// and fails when the code, these constants or the document disagree.
const (
	docSeed       = "fuscan credential-format example" // 32 bytes: the Ed25519 seed
	docPrivateKey = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIGZ1c2NhbiBjcmVkZW50aWFsLWZvcm1hdCBleGFtcGxl
-----END PRIVATE KEY-----
`
	docPublicKey = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAgCpsb+u26cVMvq6LzXMvCp92YYrS/tDFqSpFpXSsmVE=
-----END PUBLIC KEY-----
`
	docKID          = "dffc4a22b285adbe"
	docClaims       = "a40166333530303030041a6b0e0e00061a6ae681003a00010000a8010202010364e5bca02a046431323334051a6ae5a00006010703096e464a2d323032362d303030313233"
	docProtected    = "a201270448dffc4a22b285adbe"
	docSigStructure = "846a5369676e6174757265314da201270448dffc4a22b285adbe405845a40166333530303030041a6b0e0e00061a6ae681003a00010000a8010202010364e5bca02a046431323334051a6ae5a00006010703096e464a2d323032362d303030313233"
	docSignature    = "9c51ad914d59613eddc777b7d25b6559ca56c994e66ddf57b8db8211c153777be00ccd58b1b55d190b654c3a3e2f116158268afb880e1ff32fba1353e002e601"
	docCOSE         = "d2844da201270448dffc4a22b285adbea05845a40166333530303030041a6b0e0e00061a6ae681003a00010000a8010202010364e5bca02a046431323334051a6ae5a00006010703096e464a2d323032362d30303031323358409c51ad914d59613eddc777b7d25b6559ca56c994e66ddf57b8db8211c153777be00ccd58b1b55d190b654c3a3e2f116158268afb880e1ff32fba1353e002e601"
	docZlib         = "78da009a0065ffd2844da201270448dffc4a22b285adbea05845a40166333530303030041a6b0e0e00061a6ae681003a00010000a8010202010364e5bca02a046431323334051a6ae5a00006010703096e464a2d323032362d30303031323358409c51ad914d59613eddc777b7d25b6559ca56c994e66ddf57b8db8211c153777be00ccd58b1b55d190b654c3a3e2f116158268afb880e1ff32fba1353e002e601010000ffff43313682"
	// docZlibOther is the same message compressed by zlib 1.2.13 at level 9
	// (Python's zlib.compress): other bytes, equally valid.
	docZlibOther = "78dabbd4e2bb88519dc5e3fe1f2fa54dad6bf72d88705dc298666c6a00042c52d97c7c0c6c5259cf1a19ac18181918563032313132a73cddb3408b25c5d0c8d884552aebe9020636467666ce3c372f5d230323335da046a05484c39cc0b5137d2313edee1e2fdf7e293a35f254d8c929cf72ef87efb8dd247830b8bcfa01cfd9888d5b6325b9537dacecf4051323d4ba7e77f0c97fd6df251cfc80e919230043313682"
	docText      = "FSC1:NCFJ30B20FFWTWGSLK/-4P99B+VHH4L+GK4O77B0XKI-CQW6646736DF3/Y1600CF3E6TD10100000YALJB0Y50:XC3%N1E5:TCQF6.P6CF3E1T600%50CH0F.D:G9NF6TF63W5646*964M6P78TEARGILDBS.7X9PXAN.OB FBW/A3$I2+D14BYXR0B2$OAWTF$R1P9BY-ML73C CFG7Y.5ZDCB*4.ZVFZ1KXUPNN7RAMG0W50000FGWBM84+6"
)

// docDecision is the decision a terminal that trusts the example key makes
// at 2026-11-15T00:00:00Z, as JSON.
const docDecision = `{
  "verdict": "pass",
  "reason": "OK",
  "format": "card",
  "kid": "dffc4a22b285adbe",
  "issuer": "350000",
  "color": "green",
  "name": "张**",
  "id_tail": "1234",
  "issued_at": "2026-11-01T00:00:00Z",
  "expires_at": "2026-12-01T00:00:00Z",
  "nat_at": "2026-10-31T08:00:00Z",
  "nat_result": "negative",
  "vax_doses": 3,
  "travel_risk": false,
  "at": "2026-11-15T00:00:00Z",
  "message_zh": "核验通过，请通行",
  "message_en": "Verified. Please go ahead.",
  "policy_version": 0,
  "trust_version": 0
}`

// docPath is the document the constants above are pasted into.
const docPath = "../../docs/credential-format.md"

// docKey returns the example issuer key: Ed25519 from a fixed seed, so that
// its signatures, and every byte below, are reproducible.
func docKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed([]byte(docSeed)) }

// docClaimsValue returns the claims of the example 福码卡.
func docClaimsValue() *credential.Claims {
	return &credential.Claims{
		Kind:      credential.KindCard,
		Issuer:    "350000",
		IssuedAt:  time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		ExpiresAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Serial:    "FJ-2026-000123",
		Health: credential.Health{
			Color:     credential.ColorGreen,
			Name:      "张*",
			IDTail:    "1234",
			NATAt:     time.Date(2026, 10, 31, 8, 0, 0, 0, time.UTC),
			NATResult: credential.NATNegative,
			VaxDoses:  3,
		},
	}
}

// docPieces are the intermediate values of the example, in pipeline order.
type docPieces struct {
	privateKey, publicKey string // PEM
	kid                   []byte
	claims                []byte // the CWT claims map: the COSE payload
	protected             []byte // the serialized protected header
	sigStructure          []byte // the bytes the issuer signs
	signature             []byte
	cose                  []byte // the tagged COSE_Sign1 message
	zlib                  []byte
	text                  string
}

// coseSign1 is the COSE_Sign1 array, for taking a message apart.
type coseSign1 struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected map[int64]cbor.RawMessage
	Payload     []byte
	Signature   []byte
}

// buildDocExample issues the example card and takes it apart again with a
// general CBOR decoder, independently of package cose.
func buildDocExample(t testing.TB) docPieces {
	t.Helper()
	priv := docKey()
	signer, err := cose.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	var p docPieces
	privPEM, err := cose.MarshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := cose.MarshalPublicKeyPEM(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	p.privateKey, p.publicKey = string(privPEM), string(pubPEM)
	if p.kid, err = cose.KeyID(priv.Public()); err != nil {
		t.Fatal(err)
	}
	// Ed25519 ignores the randomness source: its signatures are deterministic.
	if p.cose, err = credential.Sign(nil, signer, docClaimsValue()); err != nil {
		t.Fatal(err)
	}
	var tag cbor.Tag
	if err := cbor.Unmarshal(p.cose, &tag); err != nil || tag.Number != 18 {
		t.Fatalf("COSE message: tag %d, %v; want tag 18", tag.Number, err)
	}
	var m coseSign1
	content, err := cbor.Marshal(tag.Content)
	if err == nil {
		err = cbor.Unmarshal(content, &m)
	}
	if err != nil {
		t.Fatalf("COSE_Sign1 array: %v", err)
	}
	if len(m.Unprotected) != 0 {
		t.Errorf("unprotected header has %d labels, want none", len(m.Unprotected))
	}
	p.claims, p.protected, p.signature = m.Payload, m.Protected, m.Signature
	// Sig_structure, RFC 9052 section 4.4, built with the general encoder.
	if p.sigStructure, err = cose.EncMode.Marshal([]any{"Signature1", m.Protected, []byte{}, m.Payload}); err != nil {
		t.Fatal(err)
	}
	p.text = credential.Encode(credential.KindCard, p.cose)
	if p.zlib, err = base45.Decode(strings.TrimPrefix(p.text, credential.PrefixCard)); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDocExample(t *testing.T) {
	p := buildDocExample(t)
	hexes := []struct {
		name string
		got  []byte
		want string
	}{
		{"kid", p.kid, docKID},
		{"claims", p.claims, docClaims},
		{"protected header", p.protected, docProtected},
		{"Sig_structure", p.sigStructure, docSigStructure},
		{"signature", p.signature, docSignature},
		{"COSE_Sign1", p.cose, docCOSE},
		{"zlib", p.zlib, docZlib},
	}
	for _, h := range hexes {
		if got := hex.EncodeToString(h.got); got != h.want {
			t.Errorf("%s: got\n%s\nwant\n%s", h.name, got, h.want)
		}
	}
	if hex.EncodeToString(p.cose) == docCOSE && hex.EncodeToString(p.zlib) != docZlib {
		t.Log("only the zlib bytes (and so the text) differ: Go's compress/flate output changed; " +
			"update docZlib, docText and the document, the format itself is unchanged")
	}
	texts := []struct{ name, got, want string }{
		{"private key", p.privateKey, docPrivateKey},
		{"public key", p.publicKey, docPublicKey},
		{"text", p.text, docText},
	}
	for _, s := range texts {
		if s.got != s.want {
			t.Errorf("%s: got\n%s\nwant\n%s", s.name, s.got, s.want)
		}
	}

	// What the document states about these bytes.
	pub := docKey().Public().(ed25519.PublicKey)
	spki := sha256.Sum256(append([]byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, pub...))
	if !bytes.Equal(p.kid, spki[:8]) {
		t.Errorf("kid %x is not the first 8 bytes of SHA-256 of the SPKI, %x", p.kid, spki[:8])
	}
	if !ed25519.Verify(pub, p.sigStructure, p.signature) {
		t.Error("the signature does not verify over the Sig_structure")
	}
	if inflated, err := credential.Inflate(p.zlib); err != nil || !bytes.Equal(inflated, p.cose) {
		t.Errorf("Inflate(zlib) = %x, %v; want the COSE_Sign1 message", inflated, err)
	}
}

// TestDocExampleInDocument checks that the document shows each constant
// above as a code block of its own, so that it cannot drift from the code.
// Whitespace is ignored: the document wraps long hex strings.
func TestDocExampleInDocument(t *testing.T) {
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]bool{}
	for _, b := range codeBlocks(string(data)) {
		blocks[squeeze(b)] = true
	}
	for _, c := range []struct{ name, value string }{
		{"seed", hex.EncodeToString([]byte(docSeed))}, {"private key", docPrivateKey},
		{"public key", docPublicKey}, {"kid", docKID}, {"claims", docClaims},
		{"protected header", docProtected}, {"Sig_structure", docSigStructure},
		{"signature", docSignature}, {"COSE_Sign1", docCOSE}, {"zlib", docZlib},
		{"other zlib", docZlibOther}, {"text", docText}, {"decision", docDecision},
	} {
		if !blocks[squeeze(c.value)] {
			t.Errorf("%s has no code block showing the example's %s:\n%s", docPath, c.name, c.value)
		}
	}
}

// codeBlocks returns the contents of the fenced code blocks of a Markdown text.
func codeBlocks(doc string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case strings.HasPrefix(line, "```") && in:
			blocks, cur, in = append(blocks, strings.Join(cur, "\n")), nil, false
		case strings.HasPrefix(line, "```"):
			in = true
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// TestDocExampleVerifies checks the document's claim that a terminal that
// trusts the example key passes the example card in the middle of its life.
func TestDocExampleVerifies(t *testing.T) {
	keys, err := terminal.ParseKeys([]byte(docPublicKey))
	if err != nil {
		t.Fatal(err)
	}
	var trust terminal.Trust
	for _, k := range keys {
		trust.AddKey(k)
	}
	at := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	v := terminal.NewVerifier(&trust, &terminal.Options{Now: func() time.Time { return at }})
	d := v.Verify(docText)
	if d.Verdict != terminal.Pass || d.Reason != terminal.OK {
		t.Fatalf("Verify at %v = %v %v (%s), want pass OK", at, d.Verdict, d.Reason, d.Detail)
	}
	if got := hex.EncodeToString(d.KID); got != docKID {
		t.Errorf("decision kid %s, want %s", got, docKID)
	}
	if got, err := json.MarshalIndent(&d, "", "  "); err != nil || string(got) != docDecision {
		t.Errorf("decision JSON: got\n%s\nwant\n%s", got, docDecision)
	}
	zlibOther, err := hex.DecodeString(docZlibOther)
	if err != nil {
		t.Fatal(err)
	}
	other := credential.PrefixCard + base45.Encode(zlibOther)
	if d := v.Verify(other); d.Verdict != terminal.Pass || d.Reason != terminal.OK {
		t.Errorf("the text made with another zlib: got %v %v (%s), want pass OK", d.Verdict, d.Reason, d.Detail)
	}
	for _, c := range []struct {
		at     time.Time
		reason terminal.Reason
	}{
		{time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), terminal.Expired},
		{time.Date(2026, 10, 31, 23, 57, 0, 0, time.UTC), terminal.NotYetValid},
	} {
		if d := v.VerifyAt(docText, c.at); d.Reason != c.reason {
			t.Errorf("VerifyAt(%v) = %v %v, want %v", c.at, d.Verdict, d.Reason, c.reason)
		}
	}
}

// TestDocExampleDynamic checks what the document says of a dynamic code: an
// FSD1 text carries [credential, step, holder signature], the holder signs
// ["FSD1", credential, step] with the key whose SPKI is health field 10, a
// step is 30 seconds, and a terminal takes the step before and after the
// current one, once.
func TestDocExampleDynamic(t *testing.T) {
	issuer, err := cose.NewSigner(docKey())
	if err != nil {
		t.Fatal(err)
	}
	holderKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, ed25519.SeedSize))
	holder, err := cose.NewSigner(holderKey)
	if err != nil {
		t.Fatal(err)
	}
	c := docClaimsValue()
	c.Kind, c.Serial = credential.KindDynamic, ""
	c.ExpiresAt = c.IssuedAt.Add(24 * time.Hour)
	if c.HolderKey, err = x509.MarshalPKIXPublicKey(holderKey.Public()); err != nil {
		t.Fatal(err)
	}
	cred, err := credential.Sign(nil, issuer, c)
	if err != nil {
		t.Fatal(err)
	}
	at := c.IssuedAt.Add(time.Hour + 15*time.Second) // the middle of a step
	step := credential.StepAt(at)
	if want := at.Unix() / 30; step != want {
		t.Fatalf("StepAt(%v) = %d, want floor(unix/30) = %d", at, step, want)
	}
	text, err := credential.Present(nil, holder, cred, step)
	if err != nil {
		t.Fatal(err)
	}
	compressed, err := base45.Decode(strings.TrimPrefix(text, credential.PrefixDynamic))
	if err != nil {
		t.Fatal(err)
	}
	data, err := credential.Inflate(compressed)
	if err != nil {
		t.Fatal(err)
	}
	var code struct {
		_          struct{} `cbor:",toarray"`
		Credential []byte
		Step       int64
		Signature  []byte
	}
	if err := cbor.Unmarshal(data, &code); err != nil {
		t.Fatalf("FSD1 array: %v", err)
	}
	if !bytes.Equal(code.Credential, cred) || code.Step != step {
		t.Errorf("FSD1 array holds step %d and credential %x, want %d and %x", code.Step, code.Credential, step, cred)
	}
	tbs, err := cose.EncMode.Marshal([]any{"FSD1", cred, step})
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(holderKey.Public().(ed25519.PublicKey), tbs, code.Signature) {
		t.Error(`the holder signature does not verify over ["FSD1", credential, step]`)
	}

	keys, err := terminal.ParseKeys([]byte(docPublicKey))
	if err != nil {
		t.Fatal(err)
	}
	var trust terminal.Trust
	trust.AddKey(keys[0])
	v := terminal.NewVerifier(&trust, &terminal.Options{Replays: &terminal.MemoryReplays{}})
	for _, c := range []struct {
		at     time.Time
		reason terminal.Reason
	}{
		{at.Add(-30 * time.Second), terminal.OK},       // one step early: allowed
		{at, terminal.Replayed},                        // the same step again
		{at.Add(30 * time.Second), terminal.Replayed},  // one step late: still the same presentation
		{at.Add(60 * time.Second), terminal.StaleCode}, // two steps late: a screenshot
		{at.Add(-60 * time.Second), terminal.NotYetValid},
	} {
		if d := v.VerifyAt(text, c.at); d.Reason != c.reason {
			t.Errorf("VerifyAt(%v) = %v %v (%s), want %v", c.at, d.Verdict, d.Reason, d.Detail, c.reason)
		}
	}
}

// ExampleSign_workedExample issues the 福码卡 of the document's worked
// example: Sign makes the COSE_Sign1 message, Encode the text a QR code
// carries, and Parse reads it back (without checking the signature).
func ExampleSign_workedExample() {
	signer, err := cose.NewSigner(docKey())
	if err != nil {
		panic(err)
	}
	msg, err := credential.Sign(nil, signer, docClaimsValue()) // Ed25519 needs no randomness
	if err != nil {
		panic(err)
	}
	text := credential.Encode(credential.KindCard, msg)
	fmt.Println(text == docText)
	u, err := credential.Parse(text)
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Kind, u.Claims.Issuer, u.Claims.Serial, u.Claims.Health.Color, u.Claims.ExpiresAt.Format(time.RFC3339))
	// Output:
	// true
	// card 350000 FJ-2026-000123 green 2026-12-01T00:00:00Z
}
