package terminal

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

func TestParsePolicy(t *testing.T) {
	p, err := ParsePolicy([]byte(`{"version": 7, "colors": {"yellow": "deny"}, "nat_max_age": "48h",
		"nat_verdict": "warn", "min_vax_doses": 2, "travel_risk": "deny", "formats": ["card", "dcc"],
		"live_max_age": "3m", "card_max_age": "168h", "clock_skew": "30s", "stale_trust": "refer"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Policy{Version: 7, Yellow: Deny, NATMaxAge: 48 * time.Hour, NATVerdict: Warn, MinVaxDoses: 2,
		TravelRisk: Deny, Formats: []credential.Kind{credential.KindCard, credential.KindDCC},
		LiveMaxAge: 3 * time.Minute, CardMaxAge: 168 * time.Hour, ClockSkew: 30 * time.Second, StaleTrust: Refer}
	if p.Version != want.Version || p.Yellow != want.Yellow || p.NATMaxAge != want.NATMaxAge || p.NATVerdict != want.NATVerdict ||
		p.MinVaxDoses != want.MinVaxDoses || p.TravelRisk != want.TravelRisk || !slices.Equal(p.Formats, want.Formats) ||
		p.LiveMaxAge != want.LiveMaxAge || p.CardMaxAge != want.CardMaxAge || p.ClockSkew != want.ClockSkew || p.StaleTrust != want.StaleTrust {
		t.Errorf("got %+v, want %+v", *p, want)
	}
	if p, err := ParsePolicy([]byte(`{"nat_max_age": "off"}`)); err != nil || p.NATMaxAge != 0 {
		t.Errorf(`"off": got %v, %v; want 0`, p, err)
	}
}

func TestParsePolicyRejects(t *testing.T) {
	for _, in := range []string{
		`{"nat_max_agee": "48h"}`,                    // a typo must not be ignored
		`{"NAT_max_age": "48h"}`,                     // encoding/json alone would take it
		`{"colors": {"red": "pass", "red": "deny"}}`, // the last would silently win
		`{"colors": {"purple": "pass"}}`,             // unknown colour
		`{"colors": {"red": "allow"}}`,               // unknown verdict
		`{"nat_max_age": "two days"}`,                // not a duration
		`{"nat_max_age": "-1h"}`,                     // negative
		`{"card_max_age": "1000h"}`,                  // beyond the 30-day card limit
		`{"dynamic_max_age": "48h"}`,                 // beyond the 24-hour limit
		`{"formats": ["live", "passport"]}`,          // unknown format
		`{"stale_trust": "deny"}`,                    // only warn or refer
		`{"min_vax_doses": -1}`,                      // negative
		`{} {}`,                                      // trailing data
		`{"version": 1}}`,                            // trailing bracket
		`{"min_vax_doses": 99}`,                      // impossible
		`[]`,                                         // not an object
		`null`,                                       // not an object either
		``,                                           // empty
	} {
		if _, err := ParsePolicy([]byte(in)); err == nil {
			t.Errorf("ParsePolicy(%s): got nil error, want one", in)
		}
	}
}

func TestMask(t *testing.T) {
	for _, tt := range []struct{ in, name, tail string }{
		{"张三", "张**", "张三"},
		{"欧阳娜娜", "欧**", "欧阳娜娜"},
		{"张*", "张**", "张*"},
		{"张**", "张**", "张**"},
		{"岚", "*", "岚"},
		{"*", "*", "*"},
		{"", "", ""},
		{"Erika", "E**", "rika"},
		{"Mustermann-Gabler", "M**", "bler"},
		{"350102199001011234", "3**", "1234"},
		{"35010219900101123X", "3**", "123X"},
	} {
		if got := MaskName(tt.in); got != tt.name {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.name)
		}
		if got := IDTail(tt.in); got != tt.tail {
			t.Errorf("IDTail(%q) = %q, want %q", tt.in, got, tt.tail)
		}
	}
}

func TestEveryReasonHasMessages(t *testing.T) {
	seen := map[string]Reason{}
	for _, r := range Reasons() {
		zh, en := r.Message("zh"), r.Message("en")
		if _, ok := messages[r]; !ok || zh == "" || en == "" || zh == en {
			t.Errorf("%s: zh %q, en %q; want two distinct texts", r, zh, en)
		}
		if other, dup := seen[en]; dup {
			t.Errorf("%s and %s share the message %q", r, other, en)
		}
		seen[en] = r
		if strings.ToUpper(string(r)) != string(r) {
			t.Errorf("reason %q is not upper case", r)
		}
	}
	if len(messages) != len(Reasons()) {
		t.Errorf("%d messages for %d reasons", len(messages), len(Reasons()))
	}
}

func TestParseKeys(t *testing.T) {
	a, b := testkeys.Issuer(t, cose.SM2SM3), testkeys.Issuer(t, cose.ES256)
	_, cert := dsc(t, cose.ES256, "v", "t")
	file := append(append(testkeys.PublicPEM(t, a), testkeys.PublicPEM(t, b)...), cert...)
	keys, err := ParseKeys(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Fatalf("got %d keys, want 3", len(keys))
	}
	if !slices.Equal(keys[0].KID, kidOf(t, a)) || keys[0].Verifier.Alg != cose.SM2SM3 {
		t.Errorf("key 0: kid %x alg %v", keys[0].KID, keys[0].Verifier.Alg)
	}
	if !slices.Equal(keys[2].Kinds, []credential.Kind{credential.KindDCC}) || !slices.Equal(keys[2].DCCTypes, []string{"v", "t"}) {
		t.Errorf("certificate key: kinds %v, DCC types %v; want [dcc], [v t]", keys[2].Kinds, keys[2].DCCTypes)
	}
	for _, bad := range []string{"", "not a key", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"} {
		if _, err := ParseKeys([]byte(bad)); err == nil {
			t.Errorf("ParseKeys(%q): got nil error", bad)
		}
	}
}

func TestParseRevocations(t *testing.T) {
	h3 := RevocationHash("FSC-3")
	got, err := ParseRevocations([]byte("# revoked 2026-11\nFSC-1\n\n  FSC-2  \r\n#FSC-4\nsha256:" + hex.EncodeToString(h3[:]) + "\n"))
	want := [][32]byte{RevocationHash("FSC-1"), RevocationHash("FSC-2"), h3}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %x, %v; want %x", got, err, want)
	}
	for _, bad := range []string{"sha256:abcd", "SHA256:abcd", "sha256:" + strings.Repeat("zz", 32)} {
		if _, err := ParseRevocations([]byte(bad)); err == nil {
			t.Errorf("ParseRevocations(%q): got nil error", bad)
		}
	}
	if _, err := ParseRevocations([]byte(strings.Repeat("x", 200))); err == nil {
		t.Errorf("an over-long serial was accepted")
	}
}
