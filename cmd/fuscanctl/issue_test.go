package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/fuscan/fuscan/terminal/credential"
)

// holderArgs are the issue flags of a sample holder, 张三.
var holderArgs = []string{"--issuer", "350000", "--name", "张三", "--id", "350102199001011234", "--color", "green"}

// issueArgs returns the flags that issue a green code of kind at t0 with
// the issuer key at prefix (and, for a dynamic code, the holder key at
// holder), then extra: a later flag overrides an earlier one.
func issueArgs(kind, prefix, holder string, extra ...string) []string {
	args := append([]string{"--kind", kind, "--key", prefix + ".key", "--iat", t0s, "--at", t0s}, holderArgs...)
	if kind == "dynamic" {
		args = append(args, "--holder-key", holder+".key")
	}
	return append(args, extra...)
}

func TestRoundTrip(t *testing.T) {
	for _, alg := range []string{"sm2", "ed25519", "es256"} {
		dir := t.TempDir()
		issuer, kid := keygen(t, dir, "issuer", alg)
		holder, _ := keygen(t, dir, "holder", alg)
		for _, kind := range []string{"live", "card", "dynamic"} {
			t.Run(alg+"/"+kind, func(t *testing.T) {
				text := issue(t, issueArgs(kind, issuer, holder)...)
				// Within the 30-second step of a dynamic code.
				d := verifyOne(t, text, "--keys", issuer+".pub", "--at", atOf(20*time.Second))
				want := decision{Verdict: "pass", Reason: "OK", Format: kind, KID: kid, Issuer: "350000",
					Color: "green", Name: "张**", IDTail: "1234", IssuedAt: "2026-03-01T01:00:00Z"}
				got := d
				got.ExpiresAt, got.At, got.MessageZH, got.MessageEN, got.Detail = "", "", "", "", ""
				if got != want {
					t.Errorf("decision\n got %+v\nwant %+v", got, want)
				}
				if d.MessageEN != "Verified. Please go ahead." || d.MessageZH != "核验通过，请通行" {
					t.Errorf("messages %q / %q", d.MessageEN, d.MessageZH)
				}
				checkMinimised(t, text)
			})
		}
	}
}

// checkMinimised checks that the signed content holds only the masked name
// and the ID tail: the display masking of the verifier would hide a leak.
func checkMinimised(t *testing.T, text string) {
	t.Helper()
	u, err := credential.Parse(text)
	if err != nil {
		t.Fatalf("parse issued code: %v", err)
	}
	if h := u.Claims.Health; h.Name != "张**" || h.IDTail != "1234" {
		t.Errorf("signed name %q and ID tail %q, want 张** and 1234", h.Name, h.IDTail)
	}
}

func TestDefaultValidity(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "ed25519")
	holder, _ := keygen(t, dir, "holder", "ed25519")
	tests := []struct {
		kind string
		ttl  time.Duration
	}{
		{"live", 5 * time.Minute},
		{"card", 30 * 24 * time.Hour},
		{"dynamic", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			u, err := credential.Parse(issue(t, issueArgs(tt.kind, issuer, holder)...))
			if err != nil {
				t.Fatal(err)
			}
			c := u.Claims
			if !c.IssuedAt.Equal(t0) || c.ExpiresAt.Sub(c.IssuedAt) != tt.ttl {
				t.Errorf("iat %v exp %v, want %v and %v later", c.IssuedAt, c.ExpiresAt, t0, tt.ttl)
			}
			if tt.kind == "card" && (len(c.Serial) != len("FSC-")+12 || !strings.HasPrefix(c.Serial, "FSC-") || strings.ToUpper(c.Serial) != c.Serial) {
				t.Errorf("card serial %q, want FSC- and 12 uppercase hex digits", c.Serial)
			}
			if tt.kind == "dynamic" && u.Step != credential.StepAt(t0) {
				t.Errorf("dynamic step %d, want the step of --at, %d", u.Step, credential.StepAt(t0))
			}
		})
	}
}

func TestDCC(t *testing.T) {
	for _, alg := range []string{"es256", "ps256"} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			dsc := filepath.Join(dir, "dsc")
			out := mustRun(t, "", "keygen", "--alg", alg, "--out", dsc, "--cert", "--at", atOf(-24*time.Hour), "--dcc-types", "v,t")
			dccKID := field(t, out, "dcc-kid")
			base := []string{"--kind", "dcc", "--key", dsc + ".key", "--cert", dsc + ".crt", "--issuer", "CN",
				"--name", "Mustermann", "--given", "Erika", "--dob", "1964-08-12", "--iat", t0s}

			tests := []struct {
				name            string
				extra           []string
				verdict, reason string
			}{
				{"vaccination", []string{"--vax", "2", "--serial", "URN:UVCI:01:CN:TEST1"}, "pass", "OK"},
				{"test", []string{"--dcc-type", "t", "--nat", atOf(-10 * time.Hour)}, "pass", "OK"},
				{"positive test", []string{"--dcc-type", "t", "--nat", atOf(-10 * time.Hour), "--nat-result", "positive"}, "deny", "NAT_POSITIVE"},
				{"recovery not allowed by the certificate", []string{"--dcc-type", "r"}, "deny", "KEY_NOT_ALLOWED"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					text := issue(t, append(base, tt.extra...)...)
					if !strings.HasPrefix(text, "HC1:") {
						t.Errorf("text %.10q..., want prefix HC1:", text)
					}
					d := verifyOne(t, text, "--keys", dsc+".crt", "--at", atOf(time.Hour))
					if d.Verdict != tt.verdict || d.Reason != tt.reason {
						t.Fatalf("got %s %s, want %s %s (%s)", d.Verdict, d.Reason, tt.verdict, tt.reason, d.Detail)
					}
					if d.Format != "dcc" || d.KID != dccKID {
						t.Errorf("format %q kid %q, want dcc and %s", d.Format, d.KID, dccKID)
					}
					if tt.reason == "OK" && (d.Name != "M**" || d.Issuer != "CN") {
						t.Errorf("name %q issuer %q, want M** and CN", d.Name, d.Issuer)
					}
				})
			}
		})
	}
}

func TestDCCWrongCertificate(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustRun(t, "", "keygen", "--alg", "es256", "--out", a, "--cert")
	mustRun(t, "", "keygen", "--alg", "es256", "--out", b, "--cert")
	r := fuscanctl(t, "", "issue", "--kind", "dcc", "--key", a+".key", "--cert", b+".crt", "--issuer", "CN", "--name", "Muster", "--vax", "1")
	if r.code != exitUsage || !strings.Contains(r.stderr, "is not a certificate of --key") {
		t.Errorf("exit %d, stderr %q; want 2 and a key mismatch", r.code, r.stderr)
	}
}

// TestVerdicts issues codes in many situations and checks what verify
// decides. Every one exits 0, deny included.
func TestVerdicts(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "sm2")
	other, _ := keygen(t, dir, "other", "sm2")
	holder, _ := keygen(t, dir, "holder", "ed25519")
	revoked := writeFile(t, dir, "revoked.txt", "# revoked cards\nFSC-REVOKED00001\n\n")
	natPolicy := writeFile(t, dir, "policy.json", `{"version": 3, "nat_max_age": "48h"}`)
	const day = 24 * time.Hour

	tests := []struct {
		name            string
		kind            string
		issue           []string
		verify          []string
		keys            string // default: the issuer's
		verdict, reason string
	}{
		{"green card", "card", nil, nil, "", "pass", "OK"},
		{"yellow live", "live", []string{"--color", "yellow"}, nil, "", "warn", "COLOR_YELLOW"},
		{"red live", "live", []string{"--color", "red"}, nil, "", "deny", "COLOR_RED"},
		{"red card", "card", []string{"--color", "red"}, nil, "", "deny", "COLOR_RED"},
		{"card after expiry", "card", nil, []string{"--at", atOf(30*day + time.Second)}, "", "deny", "EXPIRED"},
		{"card on its last second", "card", nil, []string{"--at", atOf(30*day - time.Second)}, "", "pass", "OK"},
		{"short card after expiry", "card", []string{"--ttl", "72h"}, []string{"--at", atOf(4 * day)}, "", "deny", "EXPIRED"},
		{"card before iat beyond skew", "card", nil, []string{"--at", atOf(-3 * time.Minute)}, "", "deny", "NOT_YET_VALID"},
		{"card before iat within skew", "card", nil, []string{"--at", atOf(-time.Minute)}, "", "pass", "OK"},
		{"live of 5 min, 10 min later", "live", nil, []string{"--at", atOf(10 * time.Minute)}, "", "deny", "STALE_CODE"},
		{"live of 1h, 10 min later", "live", []string{"--ttl", "1h"}, []string{"--at", atOf(10 * time.Minute)}, "", "deny", "STALE_CODE"},
		{"live of 2 min, 3 min later", "live", []string{"--ttl", "2m"}, []string{"--at", atOf(3 * time.Minute)}, "", "deny", "EXPIRED"},
		{"dynamic 30 s later", "dynamic", nil, []string{"--at", atOf(30 * time.Second)}, "", "pass", "OK"},
		{"dynamic 2 min later", "dynamic", nil, []string{"--at", atOf(2 * time.Minute)}, "", "deny", "STALE_CODE"},
		{"dynamic step 2 min ahead", "dynamic", []string{"--at", atOf(2 * time.Minute)}, nil, "", "deny", "NOT_YET_VALID"},
		{"revoked card", "card", []string{"--serial", "FSC-REVOKED00001"}, []string{"--revoked", revoked}, "", "deny", "REVOKED"},
		{"card not revoked", "card", []string{"--serial", "FSC-GOOD00000001"}, []string{"--revoked", revoked}, "", "pass", "OK"},
		{"unknown key", "card", nil, nil, other + ".pub", "deny", "KEY_UNKNOWN"},
		{"one of several keys", "card", nil, nil, other + ".pub," + issuer + ".pub", "pass", "OK"},
		{"old NAT", "card", []string{"--nat", atOf(-72 * time.Hour)}, []string{"--policy", natPolicy}, "", "deny", "NAT_TOO_OLD"},
		{"no NAT", "card", nil, []string{"--policy", natPolicy}, "", "deny", "NAT_TOO_OLD"},
		{"fresh NAT", "card", []string{"--nat", atOf(-24 * time.Hour)}, []string{"--policy", natPolicy}, "", "pass", "OK"},
		{"positive NAT", "live", []string{"--nat", atOf(-time.Hour), "--nat-result", "positive"}, nil, "", "deny", "NAT_POSITIVE"},
		{"travel risk", "live", []string{"--travel-risk"}, nil, "", "warn", "TRAVEL_RISK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := issue(t, issueArgs(tt.kind, issuer, holder, tt.issue...)...)
			keys := tt.keys
			if keys == "" {
				keys = issuer + ".pub"
			}
			verify := append([]string{"--keys", keys, "--at", atOf(time.Minute)}, tt.verify...)
			d := verifyOne(t, text, verify...)
			if d.Verdict != tt.verdict || d.Reason != tt.reason {
				t.Errorf("got %s %s, want %s %s (detail %q)", d.Verdict, d.Reason, tt.verdict, tt.reason, d.Detail)
			}
		})
	}
}

func TestTamperedNeverPasses(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "ed25519")
	text := issue(t, issueArgs("card", issuer, "")...)
	var stdin strings.Builder
	for _, frac := range []float64{0.2, 0.35, 0.5, 0.65, 0.8, 0.95} {
		i := int(frac * float64(len(text)))
		j := strings.IndexByte(base45Alphabet, text[i])
		for _, step := range []int{1, 7, 44} {
			stdin.WriteString(text[:i] + string(base45Alphabet[(j+step)%len(base45Alphabet)]) + text[i+1:] + "\n")
		}
	}
	stdin.WriteString(tamper(text) + "\n")
	for i, d := range verifyJSON(t, stdin.String(), "--keys", issuer+".pub", "--at", atOf(time.Minute)) {
		if d.Verdict != "deny" && d.Verdict != "refer" {
			t.Errorf("tampered code %d: %s %s, want deny or refer", i, d.Verdict, d.Reason)
		}
	}
}

func TestNotAHealthCode(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "ed25519")
	for _, text := range []string{"hello world", "https://example.com/menu", "6901234567892"} {
		d := verifyOne(t, text, "--keys", issuer+".pub")
		if d.Verdict != "refer" || d.Reason != "FORMAT_UNKNOWN" {
			t.Errorf("%q: %s %s, want refer FORMAT_UNKNOWN", text, d.Verdict, d.Reason)
		}
	}
	// As an argument rather than on stdin.
	r := fuscanctl(t, "", "verify", "--keys", issuer+".pub", "hello world")
	if r.code != exitOK || !strings.HasPrefix(r.stdout, "REFER  FORMAT_UNKNOWN\n") {
		t.Errorf("exit %d, stdout %q; want 0 and REFER FORMAT_UNKNOWN", r.code, r.stdout)
	}
}

func TestPNG(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "sm2")
	holder, _ := keygen(t, dir, "holder", "sm2")
	for _, kind := range []string{"card", "live", "dynamic"} {
		t.Run(kind, func(t *testing.T) {
			path := filepath.Join(dir, kind+".png")
			args := issueArgs(kind, issuer, holder, "--png", path)
			text := issue(t, args...)
			if got := decodePNG(t, path); got != text {
				t.Errorf("the QR code holds\n%q\nwant the printed text\n%q", got, text)
			}
		})
	}
}

// decodePNG reads the QR code in a PNG file. gozxing's finder-pattern
// detector misjudges the size of about 1 in 100 clean, computer-drawn
// symbols ("NotFoundException: dimension = 47"); PURE_BARCODE, meant for
// such images, reads them.
func decodePNG(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Logf("decode %s as a photo: %v; trying as a pure barcode", path, err)
		res, err = qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	}
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return res.GetText()
}

func TestPDF(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "sm2")
	path := filepath.Join(dir, "card.pdf")
	text := issue(t, issueArgs("card", issuer, "", "--pdf", path, "--serial", "FSC-PRINTED00001")...)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Errorf("%s starts %q, want %%PDF-", path, data[:min(len(data), 8)])
	}
	if d := verifyOne(t, text, "--keys", issuer+".pub", "--at", atOf(time.Hour)); d.Verdict != "pass" {
		t.Errorf("the printed card's code: %s %s, want pass", d.Verdict, d.Reason)
	}
}

// TestIssueUsageNamesRequiredFlags: the usage line shows every flag a kind
// requires, --color included, and the flag's help says it has no default.
func TestIssueUsageNamesRequiredFlags(t *testing.T) {
	out := mustRun(t, "", "issue", "-h")
	usage, _, _ := strings.Cut(out, "\n\n")
	for _, want := range []string{"--kind live|card|dynamic", "--id NUMBER", "--color green|yellow|red", "--kind dcc", "--cert DSC.crt"} {
		if !strings.Contains(usage, want) {
			t.Errorf("usage %q does not name %q", usage, want)
		}
	}
	if !strings.Contains(out, "required for live, card and dynamic, no default") {
		t.Errorf("help does not say that --color is required without a default:\n%s", out)
	}
}
