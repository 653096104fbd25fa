package terminal

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/base45"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

var ourAlgs = []cose.Algorithm{cose.SM2SM3, cose.EdDSA, cose.ES256}
var ourKinds = []credential.Kind{credential.KindLive, credential.KindCard, credential.KindDynamic}

func TestRoundTripEveryKindAndAlgorithm(t *testing.T) {
	for _, alg := range ourAlgs {
		s := testkeys.Issuer(t, alg)
		v := NewVerifier(trustOf(t, s), nil)
		for _, kind := range ourKinds {
			d := v.VerifyAt(issue(t, s, claims(kind)), t0)
			if d.Verdict != Pass || d.Reason != OK {
				t.Errorf("%v %v: got %v %v (%s), want pass OK", alg, kind, d.Verdict, d.Reason, d.Detail)
			}
			kid, _ := cose.KeyID(s.Public())
			if d.Format != kind || d.Name != "张**" || d.IDTail != "1234" || d.Issuer != "350000" || !bytes.Equal(d.KID, kid) {
				t.Errorf("%v %v: got format %v name %q id %q issuer %q kid %x", alg, kind, d.Format, d.Name, d.IDTail, d.Issuer, d.KID)
			}
		}
	}
}

func TestDCC(t *testing.T) {
	for _, alg := range []cose.Algorithm{cose.ES256, cose.PS256} {
		s, cert := dsc(t, alg)
		keys, err := ParseKeys(cert)
		if err != nil {
			t.Fatal(err)
		}
		tr := &Trust{}
		tr.AddKey(keys[0])
		v := NewVerifier(tr, nil)
		for _, typ := range []string{"v", "t", "r"} {
			d := v.VerifyAt(issueDCC(t, s, cert, typ), t0)
			if d.Verdict != Pass || d.Reason != OK || d.Format != credential.KindDCC || d.Name != "M**" {
				t.Errorf("%v DCC %s: got %v %v %v name %q (%s), want pass OK dcc", alg, typ, d.Verdict, d.Reason, d.Format, d.Name, d.Detail)
			}
		}
		if d := v.VerifyAt(issueDCC(t, s, cert, "v"), t0.AddDate(0, 7, 0)); d.Reason != Expired {
			t.Errorf("%v DCC after exp: got %v %v, want EXPIRED", alg, d.Verdict, d.Reason)
		}
	}
}

// TestDCCKeyUsage: a signing certificate whose extended key usage allows
// only test certificates may not sign a vaccination certificate.
func TestDCCKeyUsage(t *testing.T) {
	s, cert := dsc(t, cose.ES256, "t")
	keys, err := ParseKeys(cert)
	if err != nil {
		t.Fatal(err)
	}
	tr := &Trust{}
	tr.AddKey(keys[0])
	v := NewVerifier(tr, nil)
	if d := v.VerifyAt(issueDCC(t, s, cert, "t"), t0); d.Verdict != Pass {
		t.Errorf("test DCC under a test-only DSC: got %v %v, want pass", d.Verdict, d.Reason)
	}
	if d := v.VerifyAt(issueDCC(t, s, cert, "v"), t0); d.Verdict != Deny || d.Reason != KeyNotAllowed {
		t.Errorf("vaccination DCC under a test-only DSC: got %v %v, want deny KEY_NOT_ALLOWED", d.Verdict, d.Reason)
	}
}

// TestReasons covers every reason code with the case that produces it.
func TestReasons(t *testing.T) {
	s := testkeys.Issuer(t, cose.SM2SM3)
	stranger := testkeys.New(t, cose.SM2SM3)
	with := func(kind credential.Kind, f func(*credential.Claims)) string {
		c := claims(kind)
		f(c)
		return issue(t, s, c)
	}
	card := issue(t, s, claims(credential.KindCard))
	tests := []struct {
		name    string
		text    string
		at      time.Time
		policy  Policy
		trust   func(*Trust)
		verdict Verdict
		reason  Reason
	}{
		{name: "green card", text: card, verdict: Pass, reason: OK},
		{name: "yellow", text: with(credential.KindLive, func(c *credential.Claims) { c.Health.Color = credential.ColorYellow }), verdict: Warn, reason: ColorYellow},
		{name: "yellow under a strict policy", text: with(credential.KindLive, func(c *credential.Claims) { c.Health.Color = credential.ColorYellow }), policy: Policy{Yellow: Deny}, verdict: Deny, reason: ColorYellow},
		{name: "red", text: with(credential.KindCard, func(c *credential.Claims) { c.Health.Color = credential.ColorRed }), verdict: Deny, reason: ColorRed},
		{name: "card past exp", text: card, at: t0.Add(30 * 24 * time.Hour), verdict: Deny, reason: Expired},
		{name: "card past the 30-day cap", text: rogueCard(t, s, t0.Add(-time.Hour), t0.AddDate(0, 0, 90)), at: t0.AddDate(0, 0, 31), verdict: Deny, reason: Expired},
		{name: "card within the 30-day cap", text: rogueCard(t, s, t0.Add(-time.Hour), t0.AddDate(0, 0, 90)), at: t0.AddDate(0, 0, 29), verdict: Pass, reason: OK},
		{name: "card past a venue's 7-day cap", text: card, at: t0.AddDate(0, 0, 8), policy: Policy{CardMaxAge: 7 * 24 * time.Hour}, verdict: Deny, reason: Expired},
		{name: "card issued in the future", text: with(credential.KindCard, func(c *credential.Claims) { c.IssuedAt = t0.Add(10 * time.Minute) }), verdict: Deny, reason: NotYetValid},
		{name: "card within clock skew", text: with(credential.KindCard, func(c *credential.Claims) { c.IssuedAt = t0.Add(time.Minute) }), verdict: Pass, reason: OK},
		{name: "not before", text: with(credential.KindCard, func(c *credential.Claims) { c.NotBefore = t0.Add(time.Hour) }), verdict: Deny, reason: NotYetValid},
		{name: "live code 10 minutes old", text: with(credential.KindLive, func(c *credential.Claims) { c.IssuedAt = t0.Add(-10 * time.Minute); c.ExpiresAt = time.Time{} }), verdict: Deny, reason: StaleCode},
		{name: "live code 10 minutes old, past exp", text: with(credential.KindLive, func(c *credential.Claims) {
			c.IssuedAt = t0.Add(-10 * time.Minute)
			c.ExpiresAt = t0.Add(-5 * time.Minute)
		}), verdict: Deny, reason: StaleCode},
		{name: "live code past exp", text: with(credential.KindLive, func(c *credential.Claims) { c.ExpiresAt = t0.Add(-time.Second) }), verdict: Deny, reason: Expired},
		{name: "dynamic, previous step", text: issue(t, s, claims(credential.KindDynamic)), at: t0.Add(credential.StepSeconds * time.Second), verdict: Pass, reason: OK},
		{name: "dynamic, two steps old", text: issue(t, s, claims(credential.KindDynamic)), at: t0.Add(2 * credential.StepSeconds * time.Second), verdict: Deny, reason: StaleCode},
		{name: "dynamic, two steps ahead", text: issue(t, s, claims(credential.KindDynamic)), at: t0.Add(-2 * credential.StepSeconds * time.Second), verdict: Deny, reason: NotYetValid},
		{name: "dynamic past 24 h", text: with(credential.KindDynamic, func(c *credential.Claims) {
			c.IssuedAt = t0.Add(-25 * time.Hour)
			c.ExpiresAt = c.IssuedAt.Add(24 * time.Hour)
		}), verdict: Deny, reason: Expired},
		{name: "unknown key", text: issue(t, stranger, claims(credential.KindCard)), verdict: Deny, reason: KeyUnknown},
		{name: "key for another issuer", text: card, trust: func(tr *Trust) { tr.Keys(kidOf(t, s))[0].Issuer = "110000" }, verdict: Deny, reason: KeyNotAllowed},
		{name: "key not for cards", text: card, trust: func(tr *Trust) { tr.Keys(kidOf(t, s))[0].Kinds = []credential.Kind{credential.KindLive} }, verdict: Deny, reason: KeyNotAllowed},
		{name: "key retired before issue", text: card, trust: func(tr *Trust) { tr.Keys(kidOf(t, s))[0].NotAfter = t0.Add(-2 * time.Hour) }, verdict: Deny, reason: KeyNotAllowed},
		{name: "revoked", text: card, trust: func(tr *Trust) { tr.Revoke("FSC-000000000001") }, verdict: Deny, reason: Revoked},
		{name: "no test within 48 h", text: card, policy: Policy{NATMaxAge: 48 * time.Hour}, verdict: Deny, reason: NATTooOld},
		{name: "test 3 days old", text: with(credential.KindCard, func(c *credential.Claims) {
			c.Health.NATAt, c.Health.NATResult = t0.Add(-72*time.Hour), credential.NATNegative
		}), policy: Policy{NATMaxAge: 48 * time.Hour, NATVerdict: Warn}, verdict: Warn, reason: NATTooOld},
		{name: "recent negative test", text: with(credential.KindCard, func(c *credential.Claims) {
			c.Health.NATAt, c.Health.NATResult = t0.Add(-20*time.Hour), credential.NATNegative
		}), policy: Policy{NATMaxAge: 24 * time.Hour}, verdict: Pass, reason: OK},
		{name: "positive test", text: with(credential.KindCard, func(c *credential.Claims) {
			c.Health.NATAt, c.Health.NATResult = t0.Add(-20*time.Hour), credential.NATPositive
		}), verdict: Deny, reason: NATPositive},
		{name: "too few doses", text: card, policy: Policy{MinVaxDoses: 4}, verdict: Deny, reason: VaxMissing},
		{name: "travel risk", text: with(credential.KindCard, func(c *credential.Claims) { c.Health.TravelRisk = true }), verdict: Warn, reason: TravelRisk},
		{name: "red beats travel risk", text: with(credential.KindCard, func(c *credential.Claims) {
			c.Health.TravelRisk, c.Health.Color = true, credential.ColorRed
		}), verdict: Deny, reason: ColorRed},
		{name: "clock never set", text: card, at: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), verdict: Refer, reason: ClockUntrusted},
		{name: "stale trust warns", text: card, trust: func(tr *Trust) { tr.ExpiresAt = t0.Add(-time.Hour) }, verdict: Warn, reason: TrustStale},
		{name: "stale trust refers under a hard policy", text: card, policy: Policy{StaleTrust: Refer}, trust: func(tr *Trust) { tr.ExpiresAt = t0.Add(-time.Hour) }, verdict: Refer, reason: TrustStale},
		{name: "stale trust keeps a deny", text: with(credential.KindCard, func(c *credential.Claims) { c.Health.Color = credential.ColorRed }), trust: func(tr *Trust) { tr.ExpiresAt = t0.Add(-time.Hour) }, verdict: Deny, reason: ColorRed},
		{name: "not a health code", text: "https://example.com/", verdict: Refer, reason: FormatUnknown},
		{name: "empty text", text: "", verdict: Refer, reason: FormatUnknown},
		{name: "format not accepted", text: card, policy: Policy{Formats: []credential.Kind{credential.KindLive}}, verdict: Deny, reason: FormatNotAccepted},
		{name: "damaged", text: card[:len(card)-10], verdict: Deny, reason: Malformed},
		{name: "re-prefixed", text: credential.PrefixLive + strings.TrimPrefix(card, credential.PrefixCard), verdict: Deny, reason: Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := trustOf(t, s)
			tr.Policy = tt.policy
			if tt.trust != nil {
				tt.trust(tr)
			}
			at := tt.at
			if at.IsZero() {
				at = t0
			}
			d := NewVerifier(tr, nil).VerifyAt(tt.text, at)
			if d.Verdict != tt.verdict || d.Reason != tt.reason {
				t.Errorf("got %v %v (%s), want %v %v", d.Verdict, d.Reason, d.Detail, tt.verdict, tt.reason)
			}
		})
	}
}

func kidOf(t testing.TB, s *cose.Signer) []byte {
	kid, err := cose.KeyID(s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

func TestForgedSignature(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	forger := testkeys.New(t, cose.EdDSA)
	// The forger signs with its own key but names the trusted kid.
	c := claims(credential.KindCard)
	c.Health.Color = credential.ColorGreen
	payloadText := issue(t, forger, c)
	u, err := credential.Parse(payloadText)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := cose.Sign(nil, forger, kidOf(t, s), u.Sign1.Payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := NewVerifier(trustOf(t, s), nil).VerifyAt(credential.Encode(credential.KindCard, forged), t0)
	if d.Verdict != Deny || d.Reason != SigInvalid {
		t.Errorf("forged card: got %v %v, want deny SIG_INVALID", d.Verdict, d.Reason)
	}
	if d.Name != "" {
		t.Errorf("forged card shows name %q: holder fields of an unverified code must stay empty", d.Name)
	}
}

func TestDynamicWrongHolder(t *testing.T) {
	s := testkeys.Issuer(t, cose.SM2SM3)
	c := claims(credential.KindDynamic)
	text, err := credential.Issue(s, c, testkeys.New(t, cose.SM2SM3), t0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := credential.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := credential.Sign(nil, s, &u.Claims)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else's phone presents the credential: its holder signature
	// is made by a key the credential does not bind.
	stolen, err := credential.Present(nil, testkeys.New(t, cose.EdDSA), signed, credential.StepAt(t0))
	if err != nil {
		t.Fatal(err)
	}
	d := NewVerifier(trustOf(t, s), nil).VerifyAt(stolen, t0)
	if d.Verdict != Deny || d.Reason != SigInvalid {
		t.Errorf("wrong holder: got %v %v (%s), want deny SIG_INVALID", d.Verdict, d.Reason, d.Detail)
	}
}

func TestReplay(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	text := issue(t, s, claims(credential.KindDynamic))
	v := NewVerifier(trustOf(t, s), &Options{Replays: &MemoryReplays{}})
	if d := v.VerifyAt(text, t0); d.Verdict != Pass {
		t.Fatalf("first presentation: got %v %v, want pass", d.Verdict, d.Reason)
	}
	if d := v.VerifyAt(text, t0.Add(20*time.Second)); d.Verdict != Deny || d.Reason != Replayed {
		t.Errorf("second presentation: got %v %v, want deny REPLAYED", d.Verdict, d.Reason)
	}
	// Another card is unaffected, and a static card may be shown twice.
	card := issue(t, s, claims(credential.KindCard))
	for range 2 {
		if d := v.VerifyAt(card, t0); d.Verdict != Pass {
			t.Errorf("card shown again: got %v %v, want pass", d.Verdict, d.Reason)
		}
	}
}

func TestMemoryReplaysBounded(t *testing.T) {
	m := &MemoryReplays{Max: 3}
	for i := range 10 {
		if seen, _ := m.Seen([]byte{byte(i)}, t0.Add(time.Duration(i)*time.Second), t0); seen {
			t.Fatalf("key %d seen before it was recorded", i)
		}
	}
	if n := len(m.seen); n > 3 {
		t.Errorf("memory holds %d entries, want at most 3", n)
	}
	if seen, _ := m.Seen([]byte{9}, t0.Add(time.Minute), t0); !seen {
		t.Errorf("the newest key was forgotten")
	}
	if seen, _ := m.Seen([]byte{9}, t0.Add(time.Minute), t0.Add(time.Hour)); seen {
		t.Errorf("an expired key still counts as seen")
	}
}

// TestClockFloor: a clock an hour below the floor is untrusted; one a
// moment below it (a frame captured before another lane's decision was
// committed) is not, within the policy's clock skew.
func TestClockFloor(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	code := issue(t, s, claims(credential.KindCard))
	cases := []struct {
		below time.Duration
		skew  time.Duration // policy; zero: DefaultClockSkew
		want  Reason
	}{
		{time.Hour, 0, ClockUntrusted},
		{DefaultClockSkew + time.Second, 0, ClockUntrusted},
		{DefaultClockSkew, 0, OK},
		{40 * time.Millisecond, 0, OK},
		{10 * time.Second, 5 * time.Second, ClockUntrusted},
		{4 * time.Second, 5 * time.Second, OK},
	}
	for _, c := range cases {
		tr := trustOf(t, s)
		tr.Policy.ClockSkew = c.skew
		v := NewVerifier(tr, &Options{Floor: func() time.Time { return t0.Add(c.below) }})
		if d := v.VerifyAt(code, t0); d.Reason != c.want {
			t.Errorf("clock %v below the floor, skew %v: got %v %v, want %s", c.below, c.skew, d.Verdict, d.Reason, c.want)
		}
	}
}

// TestTamperEveryByte changes each byte of each code's COSE message (and
// re-compresses it, as a forger would): no variant may pass.
func TestTamperEveryByte(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	dccSigner, cert := dsc(t, cose.ES256)
	tr := trustOf(t, s)
	keys, _ := ParseKeys(cert)
	tr.AddKey(keys[0])
	v := NewVerifier(tr, nil)
	texts := []string{issueDCC(t, dccSigner, cert, "v")}
	for _, kind := range ourKinds {
		texts = append(texts, issue(t, s, claims(kind)))
	}
	for _, text := range texts {
		i := strings.IndexByte(text, ':') + 1
		compressed, err := base45.Decode(text[i:])
		if err != nil {
			t.Fatal(err)
		}
		raw, err := credential.Inflate(compressed)
		if err != nil {
			t.Fatal(err)
		}
		for j := range raw {
			for _, mask := range []byte{0x01, 0x40, 0xff} {
				bad := bytes.Clone(raw)
				bad[j] ^= mask
				forged := text[:i] + base45.Encode(credential.Deflate(bad))
				if d := v.VerifyAt(forged, t0); d.Verdict == Pass || d.Verdict == Warn {
					t.Fatalf("%s: byte %d ^ %#x gives %v %v", text[:i], j, mask, d.Verdict, d.Reason)
				}
			}
		}
		// And each character of the text itself.
		for j := i; j < len(text); j++ {
			bad := []byte(text)
			bad[j] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"[(strings.IndexByte("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", text[j])+7)%45]
			if d := v.VerifyAt(string(bad), t0); d.Verdict == Pass || d.Verdict == Warn {
				t.Fatalf("%s: character %d changed gives %v %v", text[:i], j, d.Verdict, d.Reason)
			}
		}
	}
}

func TestVerifyBatchMatchesSequential(t *testing.T) {
	s := testkeys.Issuer(t, cose.SM2SM3)
	var texts []string
	for i := range 40 {
		c := claims(credential.KindCard)
		c.Health.Color = credential.Color(i%3 + 1)
		texts = append(texts, issue(t, s, c))
	}
	texts = append(texts, "garbage", "")
	v := NewVerifier(trustOf(t, s), nil)
	got := v.VerifyBatch(texts, t0)
	if len(got) != len(texts) {
		t.Fatalf("got %d decisions for %d texts", len(got), len(texts))
	}
	for i, text := range texts {
		want := v.VerifyAt(text, t0)
		if got[i].Verdict != want.Verdict || got[i].Reason != want.Reason {
			t.Errorf("text %d: batch gave %v %v, alone %v %v", i, got[i].Verdict, got[i].Reason, want.Verdict, want.Reason)
		}
	}
}

func TestSetTrust(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	card := issue(t, s, claims(credential.KindCard))
	v := NewVerifier(nil, nil)
	if d := v.VerifyAt(card, t0); d.Reason != KeyUnknown {
		t.Errorf("empty trust: got %v, want KEY_UNKNOWN", d.Reason)
	}
	v.SetTrust(trustOf(t, s))
	if d := v.VerifyAt(card, t0); d.Verdict != Pass {
		t.Errorf("after SetTrust: got %v %v, want pass", d.Verdict, d.Reason)
	}
}

func TestVerifyUsesInjectedClock(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	v := NewVerifier(trustOf(t, s), &Options{Now: func() time.Time { return t0.AddDate(0, 2, 0) }})
	if d := v.Verify(issue(t, s, claims(credential.KindCard))); d.Reason != Expired || !d.At.Equal(t0.AddDate(0, 2, 0)) {
		t.Errorf("got %v at %v, want EXPIRED at the injected time", d.Reason, d.At)
	}
}

// TestAlgorithmPerKind: RSA-PSS is for EU DCC only, even when a caller
// trusts an RSA key for fuscan's own formats.
func TestAlgorithmPerKind(t *testing.T) {
	rsaSigner, _ := dsc(t, cose.PS256)
	if _, err := credential.Sign(nil, rsaSigner, claims(credential.KindCard)); err == nil {
		t.Fatalf("credential.Sign signed a card with PS256")
	}
	// Build the card by hand, as a rogue issuer would.
	c := claims(credential.KindCard)
	ed := testkeys.Issuer(t, cose.EdDSA)
	u, err := credential.Parse(issue(t, ed, c))
	if err != nil {
		t.Fatal(err)
	}
	kid := kidOf(t, rsaSigner)
	msg, err := cose.Sign(nil, rsaSigner, kid, u.Sign1.Payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := cose.NewKey(rsaSigner.Public())
	if err != nil {
		t.Fatal(err)
	}
	tr := &Trust{}
	tr.AddKey(&Key{KID: kid, Verifier: key})
	d := NewVerifier(tr, nil).VerifyAt(credential.Encode(credential.KindCard, msg), t0)
	if d.Verdict != Deny || d.Reason != KeyNotAllowed {
		t.Errorf("PS256 card: got %v %v, want deny KEY_NOT_ALLOWED", d.Verdict, d.Reason)
	}
}

func TestDecisionJSONHidesSerial(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	d := NewVerifier(trustOf(t, s), nil).VerifyAt(issue(t, s, claims(credential.KindCard)), t0)
	for _, v := range []any{d, &d, struct{ D Decision }{d}} {
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte("FSC-000000000001")) || !bytes.Contains(out, []byte(`"verdict":"pass"`)) {
			t.Errorf("json of %T: %s; want the decision form without the serial", v, out)
		}
	}
}

// rogueCard returns a green card valid from iat to exp, signed by s even
// where credential.Sign refuses (a card of more than 30 days): the claims
// are encoded by hand, as an issuer outside this code base would.
func rogueCard(t testing.TB, s *cose.Signer, iat, exp time.Time) string {
	t.Helper()
	payload, err := cose.EncMode.Marshal(map[int64]any{
		1: "350000", 4: exp.Unix(), 6: iat.Unix(),
		-65537: map[int64]any{1: 2, 2: 1, 3: "张*", 4: "1234", 9: "FSC-ROGUE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cose.Sign(nil, s, kidOf(t, s), payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	return credential.Encode(credential.KindCard, msg)
}

// TestInvisibleCharacters: a text claim holding a bidirectional override
// or another invisible format character, which can reorder or hide part
// of a printed line, is MALFORMED in every text field, though signed.
func TestInvisibleCharacters(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	trust := trustOf(t, s)
	v := NewVerifier(trust, &Options{Now: func() time.Time { return t0 }})
	for _, r := range []rune{'\u202e', '\u2066', '\u200b', '\ufeff', '\u00ad', '\u061c'} {
		fields := []struct {
			name   string
			claims map[int64]any
		}{
			{"issuer", map[int64]any{1: "3500" + string(r) + "00"}},
			{"name", map[int64]any{-65537: map[int64]any{3: "张" + string(r) + "三"}}},
			{"id tail", map[int64]any{-65537: map[int64]any{4: "12" + string(r) + "34"}}},
			{"serial", map[int64]any{-65537: map[int64]any{9: "FSC-" + string(r) + "1"}}},
		}
		for _, f := range fields {
			claims := map[int64]any{1: "350000", 4: t0.Add(time.Hour).Unix(), 6: t0.Add(-time.Hour).Unix()}
			health := map[int64]any{1: 2, 2: 1, 3: "张三", 4: "1234", 9: "FSC-1"}
			for k, v := range f.claims {
				if k == -65537 {
					for hk, hv := range v.(map[int64]any) {
						health[hk] = hv
					}
					continue
				}
				claims[k] = v
			}
			claims[-65537] = health
			payload, err := cose.EncMode.Marshal(claims)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := cose.Sign(nil, s, kidOf(t, s), payload, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := v.Verify(credential.Encode(credential.KindCard, msg)); d.Reason != Malformed {
				t.Errorf("U+%04X in the %s: %s %s, want MALFORMED", r, f.name, d.Verdict, d.Reason)
			}
		}
	}
}

// TestUnverifiedFieldsStayBlank: a decision ended before the signatures
// held names the format and kid it refused and nothing else of the
// credential, issuer and times included (docs/credential-format.md §11.1).
func TestUnverifiedFieldsStayBlank(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	card := issue(t, s, claims(credential.KindCard))
	forged := issue(t, testkeys.New(t, cose.EdDSA), claims(credential.KindCard))
	u, err := credential.Parse(forged)
	if err != nil {
		t.Fatal(err)
	}
	sigInvalid, err := cose.Sign(nil, testkeys.New(t, cose.EdDSA), kidOf(t, s), u.Sign1.Payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		text   string
		policy Policy
		trust  func(*Trust)
		want   Reason
	}{
		{"format not accepted", card, Policy{Formats: []credential.Kind{credential.KindLive}}, nil, FormatNotAccepted},
		{"unknown key", forged, Policy{}, nil, KeyUnknown},
		{"bad signature", credential.Encode(credential.KindCard, sigInvalid), Policy{}, nil, SigInvalid},
		{"key not allowed", card, Policy{}, func(tr *Trust) { tr.Keys(kidOf(t, s))[0].Issuer = "110000" }, KeyNotAllowed},
	}
	for _, tt := range tests {
		tr := trustOf(t, s)
		tr.Policy = tt.policy
		if tt.trust != nil {
			tt.trust(tr)
		}
		d := NewVerifier(tr, nil).VerifyAt(tt.text, t0)
		switch {
		case d.Reason != tt.want:
			t.Errorf("%s: got %v %v, want %v", tt.name, d.Verdict, d.Reason, tt.want)
		case d.Format != credential.KindCard || len(d.KID) == 0:
			t.Errorf("%s: got format %v kid %x, want card and the text's kid", tt.name, d.Format, d.KID)
		case d.Issuer != "" || !d.IssuedAt.IsZero() || !d.ExpiresAt.IsZero() || d.Name != "" || d.Serial != "" || d.Color != 0:
			t.Errorf("%s: got issuer %q times %v %v name %q serial %q colour %v, want all blank", tt.name, d.Issuer, d.IssuedAt, d.ExpiresAt, d.Name, d.Serial, d.Color)
		}
	}
}

// TestJoinersAllowed: the zero-width non-joiner and joiner, which
// Persian, Arabic and Indic names need, are not refused with the other
// invisible characters.
func TestJoinersAllowed(t *testing.T) {
	s := testkeys.Issuer(t, cose.EdDSA)
	v := NewVerifier(trustOf(t, s), &Options{Now: func() time.Time { return t0 }})
	for _, name := range []string{"می\u200cخواهم", "क्\u200dष"} {
		c := credential.Claims{Kind: credential.KindCard, Issuer: "350000", IssuedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(time.Hour),
			Serial: "FSC-1", Health: credential.Health{Color: credential.ColorGreen, Name: name, IDTail: "1234"}}
		if d := v.Verify(issue(t, s, &c)); d.Verdict != Pass {
			t.Errorf("name %q: %s %s, want pass", name, d.Verdict, d.Reason)
		}
	}
}
