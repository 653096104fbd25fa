package terminal

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// testSnapshot returns a snapshot trusting the SM2 issuer for cards of
// issuer 350000, the Ed25519 issuer for every kind, and a DCC signing
// certificate for vaccinations, with one revocation in each form.
func testSnapshot(t testing.TB) (*Snapshot, []byte) {
	t.Helper()
	_, cert := dsc(t, cose.ES256, "v", "t")
	h := RevocationHash("FSC-000000000002")
	s := &Snapshot{
		Version:   3,
		IssuedAt:  t0.Add(-24 * time.Hour),
		ExpiresAt: t0.AddDate(1, 0, 0),
		Keys: []SnapshotKey{
			{PEM: string(testkeys.PublicPEM(t, testkeys.Issuer(t, cose.SM2SM3))), Issuer: "350000", Kinds: []string{"card"},
				NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(1, 0, 0)},
			{PEM: string(testkeys.PublicPEM(t, testkeys.Issuer(t, cose.EdDSA)))},
			{PEM: string(cert), DCCTypes: []string{"v"}},
		},
		Revoked: []string{"FSC-000000000001", "sha256:" + strings.ToUpper(hex.EncodeToString(h[:]))},
		Policy:  json.RawMessage(`{"version": 7, "colors": {"yellow": "deny"}}`),
	}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return s, data
}

func TestParseSnapshot(t *testing.T) {
	_, data := testSnapshot(t)
	tr, err := ParseSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Version != 3 || !tr.IssuedAt.Equal(t0.Add(-24*time.Hour)) || !tr.ExpiresAt.Equal(t0.AddDate(1, 0, 0)) || tr.Demo {
		t.Errorf("got version %d, issued %v, expires %v, demo %v", tr.Version, tr.IssuedAt, tr.ExpiresAt, tr.Demo)
	}
	if tr.KeyCount() != 3 || tr.Policy.Version != 7 || tr.Policy.Yellow != Deny {
		t.Errorf("got %d keys, policy %+v; want 3 keys, policy 7 with yellow deny", tr.KeyCount(), tr.Policy)
	}
	for _, serial := range []string{"FSC-000000000001", "FSC-000000000002"} {
		if !tr.IsRevoked(serial) {
			t.Errorf("%s not revoked", serial)
		}
	}
	sm2 := tr.Keys(kidOf(t, testkeys.Issuer(t, cose.SM2SM3)))
	if len(sm2) != 1 || sm2[0].Issuer != "350000" || !slices.Equal(sm2[0].Kinds, []credential.Kind{credential.KindCard}) ||
		!sm2[0].NotBefore.Equal(t0.AddDate(-1, 0, 0)) || !sm2[0].NotAfter.Equal(t0.AddDate(1, 0, 0)) {
		t.Errorf("sm2 key: got %+v", sm2)
	}

	v := NewVerifier(tr, &Options{Now: func() time.Time { return t0 }})
	tests := []struct {
		name   string
		text   string
		reason Reason
	}{
		{"sm2 card", issue(t, testkeys.Issuer(t, cose.SM2SM3), claims(credential.KindCard)), Revoked},
		{"sm2 live: kinds narrowed to card", issue(t, testkeys.Issuer(t, cose.SM2SM3), claims(credential.KindLive)), KeyNotAllowed},
		{"ed25519 live", issue(t, testkeys.Issuer(t, cose.EdDSA), claims(credential.KindLive)), OK},
	}
	for _, tt := range tests {
		if d := v.Verify(tt.text); d.Reason != tt.reason {
			t.Errorf("%s: got %v %s (%s), want %s", tt.name, d.Verdict, d.Reason, d.Detail, tt.reason)
		}
	}
}

func TestSnapshotMarshalDeterministic(t *testing.T) {
	s, data := testSnapshot(t)
	again, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Error("Marshal gave different bytes for the same snapshot")
	}
	if !bytes.HasPrefix(data, []byte("{\n  \"fuscan_trust\": 1,\n  \"version\": 3,\n")) || !bytes.HasSuffix(data, []byte("}\n")) {
		t.Errorf("unexpected layout:\n%s", data)
	}
	if _, err := (&Snapshot{}).Marshal(); err == nil {
		t.Error("Marshal of an empty snapshot: got no error, want one (version 0, no issued_at)")
	}
}

func TestParseSnapshotRejects(t *testing.T) {
	s, data := testSnapshot(t)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	sm2 := s.Keys[0].PEM
	ed := s.Keys[1].PEM
	cert := s.Keys[2].PEM
	tests := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"unknown field", func(m map[string]any) { m["expires"] = "x" }, "unknown field"},
		{"format 2", func(m map[string]any) { m["fuscan_trust"] = 2 }, "fuscan_trust is 2"},
		{"no format", func(m map[string]any) { delete(m, "fuscan_trust") }, "fuscan_trust is 0"},
		{"version 0", func(m map[string]any) { m["version"] = 0 }, "version"},
		{"no issued_at", func(m map[string]any) { delete(m, "issued_at") }, "issued_at"},
		{"bad time", func(m map[string]any) { m["issued_at"] = "yesterday" }, "trust snapshot:"},
		{"expires before issue", func(m map[string]any) { m["expires_at"] = "2020-01-01T00:00:00Z" }, "expires_at"},
		{"unknown key field", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": ed, "kid": "x"}} }, "unknown field"},
		{"no pem", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": ""}} }, "keys[0]: pem: no PEM block"},
		{"bad pem", func(m map[string]any) {
			m["keys"] = []any{map[string]any{"pem": ed}, map[string]any{"pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}}
		}, "keys[1]: pem:"},
		{"two blocks", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": ed + sm2}} }, "keys[0]: pem: 2 keys, want 1"},
		{"unknown kind", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": ed, "kinds": []string{"Live"}}} }, `keys[0]: kinds: credential: unknown kind "Live"`},
		{"empty kinds", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": ed, "kinds": []string{}}} }, "keys[0]: kinds: empty"},
		{"public key for dcc", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": ed, "kinds": []string{"dcc"}}} }, "cannot sign dcc"},
		{"certificate for cards", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": cert, "kinds": []string{"card"}}} }, "cannot sign card"},
		{"window widened", func(m map[string]any) {
			m["keys"] = []any{map[string]any{"pem": cert, "not_after": "2099-01-01T00:00:00Z"}}
		}, "not_after 2099-01-01T00:00:00Z is after the certificate's"},
		{"window reversed", func(m map[string]any) {
			m["keys"] = []any{map[string]any{"pem": ed, "not_before": "2027-01-01T00:00:00Z", "not_after": "2026-01-01T00:00:00Z"}}
		}, "not_after is before not_before"},
		{"dcc types on a public key", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": ed, "dcc_types": []string{"v"}}} }, "dcc_types: only for"},
		{"dcc type not allowed", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": cert, "dcc_types": []string{"r"}}} }, `does not allow type "r"`},
		{"dcc type unknown", func(m map[string]any) { m["keys"] = []any{map[string]any{"pem": cert, "dcc_types": []string{"x"}}} }, `unknown type "x"`},
		{"long issuer", func(m map[string]any) {
			m["keys"] = []any{map[string]any{"pem": ed, "issuer": strings.Repeat("3", 65)}}
		}, "issuer: longer"},
		{"bad hash", func(m map[string]any) { m["revoked"] = []string{"a", "sha256:00"} }, "revoked[1]: revocations: line 1: sha256: needs 64 hex digits"},
		{"empty revocation", func(m map[string]any) { m["revoked"] = []string{""} }, "revoked[0]: empty"},
		{"two lines", func(m map[string]any) { m["revoked"] = []string{"a\nb"} }, "revoked[0]: entry"},
		{"padded", func(m map[string]any) { m["revoked"] = []string{" a"} }, "revoked[0]: entry"},
		{"comment", func(m map[string]any) { m["revoked"] = []string{"# a"} }, "starts with #"},
		{"policy typo", func(m map[string]any) { m["policy"] = map[string]any{"versoin": 1} }, "trust snapshot: policy:"},
		{"policy not an object", func(m map[string]any) { m["policy"] = "strict" }, "trust snapshot: policy: not a JSON object"},
		{"policy widens", func(m map[string]any) { m["policy"] = map[string]any{"card_max_age": "1000h"} }, "card_max_age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]any{}
			for k, v := range doc {
				m[k] = v
			}
			tt.edit(m)
			in, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := ParseSnapshot(in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
			if tr != nil {
				t.Error("got a trust with the error")
			}
		})
	}
	for _, in := range []string{"", "null", "[]", `{"fuscan_trust": 1}{}`, string(data) + "{}",
		`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-01-01T00:00:00Z", "keys": 3}`} {
		if _, err := ParseSnapshot([]byte(in)); err == nil {
			t.Errorf("ParseSnapshot(%.40q): got no error", in)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{`{"fuscan_trust": 1, "Version": 1, "issued_at": "2026-01-01T00:00:00Z"}`, `field name "Version"`},
		{`{"fuscan_trust": 1, "version": 1, "ver\u017Fion": 1, "issued_at": "2026-01-01T00:00:00Z"}`, `field name "verſion"`},
		{`{"fuscan_trust": 1, "version": 1, "version": 2, "issued_at": "2026-01-01T00:00:00Z"}`, `field "version" given twice`},
		{`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-01-01T00:00:00Z", "keys": [{"pem": "x", "PEM": "y"}]}`, `field name "PEM"`},
		{`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-01-01T00:00:00Z", "policy": {"colors": {"red": "deny", "red": "pass"}}}`, `field "red" given twice`},
	} {
		if _, err := ParseSnapshot([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSnapshot(%s): got %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
	huge := append(bytes.Repeat([]byte(" "), MaxSnapshotSize), data...)
	if _, err := ParseSnapshot(huge); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized: got %v, want larger than", err)
	}
}

// A snapshot without policy and expiry applies the default policy and
// never goes stale.
func TestParseSnapshotMinimal(t *testing.T) {
	for _, in := range []string{
		`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-01-01T00:00:00Z", "keys": []}`,
		`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-01-01T00:00:00Z", "keys": null, "policy": null, "revoked": null, "expires_at": null}`,
	} {
		tr, err := ParseSnapshot([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if tr.KeyCount() != 0 || !tr.ExpiresAt.IsZero() || tr.Policy.Version != 0 || tr.Demo {
			t.Errorf("%s: got %+v", in, tr)
		}
	}
}

// FuzzParseSnapshot: any input is a trust whose keys can verify, or an
// error and no trust; a parsed snapshot's revocations and keys are usable.
func FuzzParseSnapshot(f *testing.F) {
	_, data := testSnapshot(f)
	f.Add(data)
	f.Add([]byte(`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-01-01T00:00:00Z", "keys": []}`))
	f.Add([]byte(`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-01-01T00:00:00Z", "revoked": ["sha256:00"]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseSnapshot(data)
		if err != nil {
			if tr != nil {
				t.Fatalf("ParseSnapshot returned a trust with error %v", err)
			}
			return
		}
		if tr.Version == 0 || tr.IssuedAt.IsZero() {
			t.Fatalf("accepted version %d, issued %v", tr.Version, tr.IssuedAt)
		}
		if err := tr.Policy.Validate(); err != nil {
			t.Fatalf("accepted a policy that does not validate: %v", err)
		}
		for _, ks := range tr.keys {
			for _, k := range ks {
				if k.Verifier == nil || len(k.KID) != cose.KIDSize {
					t.Fatalf("key without verifier or kid: %+v", k)
				}
			}
		}
	})
}

func ExampleParseSnapshot() {
	trust, err := ParseSnapshot([]byte(`{
  "fuscan_trust": 1,
  "version": 3,
  "issued_at": "2026-11-01T00:00:00Z",
  "expires_at": "2027-11-01T00:00:00Z",
  "keys": [
    {
      "pem": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA0aZBinRVLgdR0bcLiZx/UU0PGRQKy7nfc7A/SioHunY=\n-----END PUBLIC KEY-----\n",
      "issuer": "350000",
      "kinds": ["live"]
    }
  ],
  "revoked": ["FSC-2026-000123"],
  "policy": {"version": 7, "nat_max_age": "48h"}
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(trust.Version, trust.KeyCount(), trust.IsRevoked("FSC-2026-000123"), trust.Policy.NATMaxAge)
	_, err = ParseSnapshot([]byte(`{"fuscan_trust": 1, "version": 1, "issued_at": "2026-11-01T00:00:00Z", "revoked": ["sha256:12"]}`))
	fmt.Println(err)
	// Output:
	// 3 1 true 48h0m0s
	// trust snapshot: revoked[0]: revocations: line 1: sha256: needs 64 hex digits
}
