package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/credential"
)

func TestWriteHuman(t *testing.T) {
	at := time.Date(2026, 3, 1, 1, 1, 0, 0, time.UTC)
	card := terminal.Decision{Verdict: terminal.Pass, Reason: terminal.OK, At: at, Format: credential.KindCard,
		Issuer: "350000", Name: "张**", IDTail: "1234", Color: credential.ColorGreen,
		IssuedAt: at.Add(-time.Minute), ExpiresAt: at.Add(30*24*time.Hour - time.Minute)}
	live := card
	live.Format, live.Name, live.IDTail = credential.KindLive, "欧**", "567X"
	live.Verdict, live.Reason, live.Detail = terminal.Deny, terminal.Expired, "expired 2026-03-01T01:05:00Z"
	live.ExpiresAt = live.IssuedAt.Add(5 * time.Minute)
	live.At = at.Add(10 * time.Minute)
	yellow := card
	yellow.Verdict, yellow.Reason, yellow.Color = terminal.Warn, terminal.ColorYellow, credential.ColorYellow
	cst := time.FixedZone("CST", 8*3600)

	tests := []struct {
		name string
		d    terminal.Decision
		loc  *time.Location
		want string
	}{
		{"pass card", card, time.UTC, "PASS  OK  card  张** ****1234  issuer 350000  valid until 2026-03-31\n" +
			"  Verified. Please go ahead. / 核验通过，请通行\n"},
		{"pass card, local date", card, cst, "PASS  OK  card  张** ****1234  issuer 350000  valid until 2026-03-31\n" +
			"  Verified. Please go ahead. / 核验通过，请通行\n"},
		{"yellow", yellow, time.UTC, "WARN  COLOR_YELLOW  card  张** ****1234  issuer 350000  valid until 2026-03-31\n" +
			"  Yellow code: staff will check with you. / 黄码：请工作人员核查\n"},
		{"expired live, with detail", live, cst, "DENY  EXPIRED  live  欧** ****567X  issuer 350000  expired 2026-03-01 09:05 CST\n" +
			"  Code expired. Please refresh it or get a new one. / 码已过期，请刷新或重新申领\n" +
			"  detail: expired 2026-03-01T01:05:00Z\n"},
		{"unknown key", terminal.Decision{Verdict: terminal.Deny, Reason: terminal.KeyUnknown, Format: credential.KindCard,
			Detail: "no trusted SM2 key with kid 0102030405060708"}, time.UTC,
			"DENY  KEY_UNKNOWN  card\n" +
				"  Issuer not recognised. Please show another health code. / 无法识别签发机构，请出示其他健康码\n" +
				"  detail: no trusted SM2 key with kid 0102030405060708\n"},
		{"dcc", terminal.Decision{Verdict: terminal.Pass, Reason: terminal.OK, Format: credential.KindDCC, Name: "M*********",
			Issuer: "CN", IssuedAt: at, ExpiresAt: at.AddDate(1, 0, 0), At: at}, time.UTC,
			"PASS  OK  dcc  M*********  issuer CN  valid until 2027-03-01\n" +
				"  Verified. Please go ahead. / 核验通过，请通行\n"},
		{"not a health code", terminal.Decision{Verdict: terminal.Refer, Reason: terminal.FormatUnknown, At: at}, time.UTC,
			"REFER  FORMAT_UNKNOWN\n" +
				"  Not a recognised health code. Please show your health code. / 无法识别的二维码，请出示健康码\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeHuman(&b, &tt.d, tt.loc); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestVerifyHuman(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "sm2")
	text := issue(t, issueArgs("card", issuer, "", "--color", "red")...)
	// The code before the flags: flags may follow arguments.
	r := fuscanctl(t, "", "verify", text, "--keys", issuer+".pub", "--at", atOf(time.Hour))
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0 for a deny; stderr %s", r.code, r.stderr)
	}
	want := regexp.MustCompile(`^DENY  COLOR_RED  card  张\*\* \*\*\*\*1234  issuer 350000  valid until \d{4}-\d\d-\d\d\n` +
		`  Red code: entry not allowed\. Please speak to staff\. / 红码：禁止通行，请联系工作人员\n$`)
	if !want.MatchString(r.stdout) {
		t.Errorf("stdout\n%s\ndoes not match\n%s", r.stdout, want)
	}
}

func TestVerifyBatch(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "ed25519")
	holder, _ := keygen(t, dir, "holder", "ed25519")
	card := issue(t, issueArgs("card", issuer, "")...)
	live := issue(t, issueArgs("live", issuer, "", "--color", "yellow")...)
	dynamic := issue(t, issueArgs("dynamic", issuer, holder)...)
	stdin := "\uFEFF" + card + "\r\n\n   \n" + "hello world\n" + "  " + live + "\t\n" + dynamic + "\n" + dynamic // no final newline

	tests := []struct {
		name string
		args []string
		want []string // verdict reason, one a code
	}{
		{"stdin", nil, []string{"pass OK", "refer FORMAT_UNKNOWN", "warn COLOR_YELLOW", "pass OK", "pass OK"}},
		{"replay", []string{"--replay"}, []string{"pass OK", "refer FORMAT_UNKNOWN", "warn COLOR_YELLOW", "pass OK", "deny REPLAYED"}},
		{"arguments and stdin", []string{card, "-", live}, []string{"pass OK", "pass OK", "refer FORMAT_UNKNOWN", "warn COLOR_YELLOW", "pass OK", "pass OK", "warn COLOR_YELLOW"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--keys", issuer + ".pub", "--at", atOf(20 * time.Second)}, tt.args...)
			var got []string
			for _, d := range verifyJSON(t, stdin, args...) {
				got = append(got, d.Verdict+" "+d.Reason)
			}
			if strings.Join(got, ", ") != strings.Join(tt.want, ", ") {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// FuzzVerify checks that any input gives one verdict per non-blank line and
// exit 0, or exit 2 when there is no line at all: a code never makes the
// tool fail.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	prefix := filepath.Join(dir, "issuer")
	var stdout, stderr strings.Builder
	if code := run(context.Background(), []string{"keygen", "--alg", "ed25519", "--out", prefix}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		f.Fatalf("keygen: %s", stderr.String())
	}
	stdout.Reset()
	args := append([]string{"issue", "--kind", "card", "--key", prefix + ".key", "--iat", t0s}, holderArgs...)
	if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		f.Fatalf("issue: %s", stderr.String())
	}
	card := strings.TrimSpace(stdout.String())
	for _, seed := range []string{card, tamper(card), card + "\n" + card, "hello world", "\uFEFFHC1:\r\n", "FSC1:", " \n\t", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"verify", "--json", "--keys", prefix + ".pub", "--at", t0s}, strings.NewReader(in), &stdout, &stderr)
		lines := 0
		for i, l := range strings.Split(in, "\n") {
			if i == 0 {
				l = strings.TrimPrefix(l, "\uFEFF")
			}
			if strings.TrimSpace(l) != "" {
				lines++
			}
		}
		switch {
		case lines == 0 && code != exitUsage:
			t.Errorf("no code text: exit %d, want %d", code, exitUsage)
		case lines > 0 && code != exitOK:
			t.Errorf("exit %d, want 0; stderr %s", code, stderr.String())
		case strings.Count(stdout.String(), "\n") != lines:
			t.Errorf("%d lines of output for %d codes", strings.Count(stdout.String(), "\n"), lines)
		}
	})
}

// TestVerifyAtPast: --at is the operator's instant, trusted as given: a
// DCC issued in 2021 is decided as in 2021, not referred as a clock that
// was never set. RFC 3339 with fractional seconds and numeric offsets is
// accepted.
func TestVerifyAtPast(t *testing.T) {
	dir := t.TempDir()
	dsc := filepath.Join(dir, "dsc")
	mustRun(t, "", "keygen", "--alg", "es256", "--out", dsc, "--cert", "--at", "2021-05-01T00:00:00Z")
	text := issue(t, "--kind", "dcc", "--key", dsc+".key", "--cert", dsc+".crt", "--issuer", "AT",
		"--name", "Musterfrau", "--vax", "2", "--iat", "2021-06-01T00:00:00Z", "--ttl", "4392h") // to 2021-12-01
	tests := []struct {
		at   string
		want string // verdict reason
	}{
		{"2021-06-01T00:00:00Z", "pass OK"},
		{"2021-06-08T20:17:27.9906293Z", "pass OK"},
		{"2021-07-19T15:09:29+02:00", "pass OK"},
		{"2021-12-01T00:00:00Z", "pass OK"}, // exactly exp: valid, as the EU verifiers have it
		{"2021-12-01T00:00:00.5Z", "deny EXPIRED"},
		{"2021-05-31T23:00:00Z", "deny NOT_YET_VALID"},
	}
	for _, tt := range tests {
		d := verifyOne(t, text, "--keys", dsc+".crt", "--at", tt.at)
		if got := d.Verdict + " " + d.Reason; got != tt.want {
			t.Errorf("--at %s: got %s (%s), want %s", tt.at, got, d.Detail, tt.want)
		}
	}
}

// TestVerifyTrust: --trust takes a trust snapshot, so that key
// restrictions and stale trust data can be exercised from the command line.
func TestVerifyTrust(t *testing.T) {
	dir := t.TempDir()
	issuer, _ := keygen(t, dir, "issuer", "ed25519")
	other, _ := keygen(t, dir, "other", "ed25519")
	card := issue(t, issueArgs("card", issuer, "")...)
	pub, err := os.ReadFile(issuer + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	snapshot := func(key string, extra string) string {
		keyJSON, _ := json.Marshal(string(pub))
		n++
		return writeFile(t, dir, fmt.Sprintf("trust%d.json", n), `{"fuscan_trust": 1, "version": 7, "issued_at": "2026-01-01T00:00:00Z"`+extra+
			`, "keys": [{"pem": `+string(keyJSON)+key+`}]}`)
	}
	tests := []struct {
		name string
		args []string
		want string // verdict reason
	}{
		{"plain", []string{"--trust", snapshot("", "")}, "pass OK"},
		{"issuer binding", []string{"--trust", snapshot(`, "issuer": "110000"`, "")}, "deny KEY_NOT_ALLOWED"},
		{"validity window", []string{"--trust", snapshot(`, "not_after": "2026-02-01T00:00:00Z"`, "")}, "deny KEY_NOT_ALLOWED"},
		{"kinds", []string{"--trust", snapshot(`, "kinds": ["live"]`, "")}, "deny KEY_NOT_ALLOWED"},
		{"stale trust data", []string{"--trust", snapshot("", `, "expires_at": "2026-02-01T00:00:00Z"`)}, "warn TRUST_STALE"},
		{"stale trust data, policy refers", []string{"--trust", snapshot("", `, "expires_at": "2026-02-01T00:00:00Z", "policy": {"stale_trust": "refer"}`)}, "refer TRUST_STALE"},
		{"--policy replaces the snapshot's", []string{"--trust", snapshot("", `, "expires_at": "2026-02-01T00:00:00Z", "policy": {"stale_trust": "refer"}`),
			"--policy", writeFile(t, dir, "p.json", `{"stale_trust": "warn"}`)}, "warn TRUST_STALE"},
		{"--revoked adds to it", []string{"--trust", snapshot("", ""), "--revoked", writeFile(t, dir, "r.txt", serialOf(t, card)+"\n")}, "deny REVOKED"},
		{"--keys adds to it", []string{"--trust", snapshot(`, "issuer": "110000"`, ""), "--keys", other + ".pub"}, "deny KEY_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := verifyOne(t, card, append(tt.args, "--at", atOf(time.Hour))...)
			if got := d.Verdict + " " + d.Reason; got != tt.want {
				t.Errorf("got %s (%s), want %s", got, d.Detail, tt.want)
			}
		})
	}
	r := fuscanctl(t, "", "verify", "--trust", writeFile(t, dir, "bad.json", `{"fuscan_trust": 1}`), card)
	if r.code != exitUsage || !strings.Contains(r.stderr, "--trust: ") {
		t.Errorf("bad snapshot: exit %d, stderr %q; want 2 and a --trust error", r.code, r.stderr)
	}
}

// serialOf returns the serial a card carries.
func serialOf(t *testing.T, text string) string {
	t.Helper()
	u, err := credential.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return u.Claims.Serial
}
