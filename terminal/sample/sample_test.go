package sample_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
)

var update = flag.Bool("update", false, "rewrite firmware-config/trust/demo.json from sample.Snapshot")

// goldenPath is the copy of the demo snapshot that devices embed.
var goldenPath = filepath.Join("..", "..", "firmware-config", "trust", "demo.json")

// instants the cases are made at: a plain one, one just before a 30 s
// step ends, one on a step boundary, and the ends of the keys' window.
var instants = []time.Time{
	time.Date(2026, 11, 23, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)),
	time.Date(2026, 11, 23, 9, 0, 29, 999e6, time.UTC),
	time.Date(2027, 6, 1, 12, 30, 30, 0, time.UTC),
	time.Date(2024, 2, 2, 0, 0, 0, 0, time.UTC),
	time.Date(2035, 12, 29, 0, 0, 0, 0, time.UTC),
}

func TestCases(t *testing.T) {
	parsed, err := terminal.ParseSnapshot(sample.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	trusts := map[string]*terminal.Trust{"Trust": sample.Trust(), "ParseSnapshot": parsed}
	for _, at := range instants {
		cases := sample.Cases(at)
		if len(cases) == 0 {
			t.Fatal("no cases")
		}
		for name, trust := range trusts {
			for _, now := range []time.Time{at, at.Add(20 * time.Second), at.Add(29 * time.Second)} {
				v := terminal.NewVerifier(trust, &terminal.Options{Now: func() time.Time { return now }})
				for _, c := range cases {
					d := v.Verify(c.Text)
					if d.Verdict != c.Verdict || d.Reason != c.Reason {
						t.Errorf("%s, made %v, verified %v: %q: got %v %s (%s), want %v %s",
							name, at, now.Sub(at), c.Label, d.Verdict, d.Reason, d.Detail, c.Verdict, c.Reason)
					}
				}
			}
		}
	}
}

// TestCasesCoverEveryVerdict: the demo shows each verdict, and its labels
// are distinct.
func TestCasesCoverEveryVerdict(t *testing.T) {
	cases := sample.Cases(instants[0])
	var labels []string
	seen := map[terminal.Verdict]bool{}
	for _, c := range cases {
		if slices.Contains(labels, c.Label) {
			t.Errorf("label %q twice", c.Label)
		}
		labels = append(labels, c.Label)
		seen[c.Verdict] = true
	}
	for _, v := range []terminal.Verdict{terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer} {
		if !seen[v] {
			t.Errorf("no case with verdict %v", v)
		}
	}
}

func TestReplayedDynamicCode(t *testing.T) {
	at := instants[0]
	v := terminal.NewVerifier(sample.Trust(), &terminal.Options{Now: func() time.Time { return at }, Replays: &terminal.MemoryReplays{}})
	for _, c := range sample.Cases(at) {
		if c.Label != "dynamic code" {
			continue
		}
		if d := v.Verify(c.Text); d.Verdict != terminal.Pass {
			t.Fatalf("first presentation: got %v %s, want pass", d.Verdict, d.Reason)
		}
		if d := v.Verify(c.Text); d.Verdict != terminal.Deny || d.Reason != terminal.Replayed {
			t.Errorf("second presentation: got %v %s, want deny REPLAYED", d.Verdict, d.Reason)
		}
		return
	}
	t.Fatal("no dynamic code case")
}

func TestSnapshot(t *testing.T) {
	a, b := sample.Snapshot(), sample.Snapshot()
	if !bytes.Equal(a, b) {
		t.Fatal("Snapshot differs between calls")
	}
	a[0] = 'x' // a caller's copy: the next call is unchanged
	if c := sample.Snapshot(); c[0] != '{' {
		t.Fatal("Snapshot returned shared bytes")
	}
	tr := sample.Trust()
	if !tr.Demo || tr.Version != 1 || tr.KeyCount() != 3 || tr.IssuedAt.IsZero() || tr.ExpiresAt.IsZero() {
		t.Errorf("got Demo %v, version %d, %d keys, issued %v, expires %v; want demo, version 1, 3 keys, both times",
			tr.Demo, tr.Version, tr.KeyCount(), tr.IssuedAt, tr.ExpiresAt)
	}
	if sample.Trust() == tr {
		t.Error("Trust returned the same *Trust twice")
	}
}

// TestGolden keeps firmware-config/trust/demo.json, which devices embed,
// equal to Snapshot; go test -run Golden -update rewrites it.
func TestGolden(t *testing.T) {
	want := sample.Snapshot()
	if *update {
		if err := os.WriteFile(goldenPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test ./terminal/sample -run Golden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from sample.Snapshot(); run go test ./terminal/sample -run Golden -update", goldenPath)
	}
}

// TestTexts: the texts are of the kinds, sizes and QR versions Texts
// says, the same when issued again, and decided as their holders' colours
// say by a terminal trusting Snapshot at the instant they were issued.
func TestTexts(t *testing.T) {
	texts := sample.Texts()
	again, err := sample.MakeTexts()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(texts, again) {
		t.Fatal("the texts differ when issued again: their signatures are not deterministic")
	}
	texts[0] = "" // a caller's copy: the next call is unchanged
	if sample.Texts()[0] == "" {
		t.Fatal("Texts returned a shared slice")
	}
	at := instants[0] // Texts' instant
	v := terminal.NewVerifier(sample.Trust(), &terminal.Options{Now: func() time.Time { return at }})
	pass, warn := terminal.Pass, terminal.Warn
	ok, yellow := terminal.OK, terminal.ColorYellow
	tests := []struct {
		prefix         string
		minLen, maxLen int
		version        int
		verdict        terminal.Verdict
		reason         terminal.Reason
	}{
		{"FSL1:", 230, 270, 9, pass, ok},
		{"FSL1:", 230, 270, 9, warn, yellow},
		{"FSC1:", 260, 290, 10, pass, ok},
		{"FSC1:", 260, 290, 10, warn, yellow},
		{"FSD1:", 400, 460, 13, pass, ok},
		{"FSD1:", 400, 460, 13, warn, yellow},
		{"HC1:", 400, 440, 13, pass, ok},
		{"HC1:", 600, 680, 16, pass, ok},
	}
	texts = sample.Texts()
	if len(texts) != len(tests) {
		t.Fatalf("%d texts, want %d", len(texts), len(tests))
	}
	for i, tt := range tests {
		text := texts[i]
		if !strings.HasPrefix(text, tt.prefix) || len(text) < tt.minLen || len(text) > tt.maxLen {
			t.Errorf("text %d: %.8q… of %d characters, want %s… of %d to %d", i, text, len(text), tt.prefix, tt.minLen, tt.maxLen)
		}
		m, err := qrcard.Matrix(text, qrcard.LevelM)
		if got := (len(m) - 17) / 4; err != nil || got != tt.version {
			t.Errorf("text %d: QR version %d (%v), want %d", i, got, err, tt.version)
		}
		if d := v.Verify(text); d.Verdict != tt.verdict || d.Reason != tt.reason {
			t.Errorf("text %d (%s): got %v %s (%s), want %v %s", i, tt.prefix, d.Verdict, d.Reason, d.Detail, tt.verdict, tt.reason)
		}
	}
}

func TestTamper(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"A", "B"},
		{"ABC", "ACC"},
		{"A:C", "A0C"}, // wraps around the alphabet
	} {
		if got := sample.Tamper(tt.in); got != tt.want {
			t.Errorf("Tamper(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func ExampleCases() {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	v := terminal.NewVerifier(sample.Trust(), &terminal.Options{Now: func() time.Time { return at }})
	for _, c := range sample.Cases(at) {
		d := v.Verify(c.Text)
		fmt.Printf("%-26s %-5v %s\n", c.Label, d.Verdict, d.Reason)
	}
	// Output:
	// green card                 pass  OK
	// green live code            pass  OK
	// yellow live code           warn  COLOR_YELLOW
	// red live code              deny  COLOR_RED
	// expired card               deny  EXPIRED
	// revoked card               deny  REVOKED
	// forged card (unknown key)  deny  KEY_UNKNOWN
	// tampered card text         deny  MALFORMED
	// dynamic code               pass  OK
	// dynamic code, 2 min old    deny  STALE_CODE
	// EU DCC, ES256              pass  OK
	// a URL, not a health code   refer FORMAT_UNKNOWN
}
