package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/engine"
	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/sound"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
	"github.com/fuscan/fuscan/ui"
)

// TestMain lets the real-window tests run this binary as fuscan itself,
// or as a bare Fyne window to measure the kiosk against.
func TestMain(m *testing.M) {
	switch os.Getenv("FUSCAN_TEST_CHILD") {
	case "1":
		main()
		return
	case "bare":
		bareWindow()
		return
	}
	os.Exit(m.Run())
}

func TestUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, exitOK, "--windowed"},
		{[]string{"--help"}, exitOK, "  ui.admin_pin_hash Salted slow hash"},
		{[]string{"--help"}, exitOK, "--source URL"},
		{nil, exitUsage, "no device (--device)"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "--lang", "Chinese"}, exitUsage, `ui.language "Chinese"`},
		{[]string{"--gallery", "--lang", "klingon!"}, exitUsage, "ui.language"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"--bogus"}, exitUsage, "--bogus"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String()+stderr.String(), c.want) {
			t.Errorf("fuscan %q: exit %d, output %q; want exit %d and %q", c.args, code, stdout.String()+stderr.String(), c.code, c.want)
		}
	}
}

func TestNoDisplay(t *testing.T) {
	if headless {
		t.Skip("built with -tags ci: the headless driver is the display")
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--profile", "demo", "--data", t.TempDir()}, strings.NewReader(""), &stdout, &stderr)
	if code != exitFailure || !strings.Contains(stderr.String(), "no display") {
		t.Errorf("without a display: exit %d, %q; want %d and no display", code, stderr.String(), exitFailure)
	}
}

func TestHashPIN(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--hash-pin"}, strings.NewReader("2468\n"), &stdout, &stderr); code != exitOK {
		t.Fatalf("--hash-pin: exit %d, %s", code, stderr.String())
	}
	hash := strings.TrimSpace(stdout.String())
	if strings.Contains(hash, "2468") || !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q", hash)
	}
	cfg := firmwareconfig.Config{Device: "d", Venue: "v", Source: "demo:", Data: "x", UI: firmwareconfig.UI{AdminPINHash: hash}}
	if err := cfg.Validate(); err != nil {
		t.Errorf("the printed hash does not validate as ui.admin_pin_hash: %v", err)
	}
	for pin, want := range map[string]bool{"2468": true, "2469": false, "": false, "24680": false} {
		if got := checkPIN(hash, pin); got != want {
			t.Errorf("checkPIN(hash of 2468, %q) = %v, want %v", pin, got, want)
		}
	}
	for _, bad := range []string{"", "2468", "$argon2id$v=19$m=1,t=1,p=1$AA$AA", "$argon2i$v=19$m=19456,t=2,p=1$AA$AA",
		strings.Replace(hash, "t=2", "t=99", 1)} {
		if checkPIN(bad, "2468") {
			t.Errorf("checkPIN(%q) accepted", bad)
		}
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"--hash-pin"}, strings.NewReader("12\n"), &stdout, &stderr); code != exitUsage {
		t.Errorf("--hash-pin with a 2-digit PIN: exit %d, want %d", code, exitUsage)
	}
}

// TestDemoPIN: the demo profile's admin PIN is the documented 1234.
func TestDemoPIN(t *testing.T) {
	cfg, err := firmwareconfig.Profile("demo")
	if err != nil {
		t.Fatal(err)
	}
	if !checkPIN(cfg.UI.AdminPINHash, "1234") {
		t.Error("the demo profile's admin PIN is not 1234, as docs/kiosk.md says")
	}
}

func TestStatusOf(t *testing.T) {
	issued := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	trust := &terminal.Trust{Version: 4, IssuedAt: issued, Policy: terminal.Policy{Version: 2, NATMaxAge: 48 * time.Hour}}
	h := engine.Health{Device: "k1", Venue: "v1", Backlog: 7, TrustVersion: 4, TrustDemo: true, Reasons: []string{"clock untrusted"}}
	s := statusOf(h, trust, "fuscan test")
	if s.Linked || s.Backlog != 7 || s.TrustIssued != issued || !s.TrustDemo || s.Clock != "untrusted" ||
		s.Policy.NATMaxAge != 48*time.Hour || !slices.Equal(s.Versions, []string{"trust v4", "policy v2"}) {
		t.Errorf("offline terminal: %+v", s)
	}
	offline := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	rev := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	h = engine.Health{Sync: &engine.SyncHealth{Connected: false, OfflineSince: offline, Clock: "skewed",
		Updates: map[string]wire.Applied{"trust": {Version: 4}, "revocations": {Version: 9, IssuedAt: rev}}}}
	s = statusOf(h, trust, "")
	if !s.Linked || s.Online || s.OfflineSince != offline || s.Clock != "skewed" || s.RevocationsIssued != rev ||
		!slices.Equal(s.Versions, []string{"revocations v9", "trust v4"}) {
		t.Errorf("linked terminal: %+v", s)
	}
}

// TestEveryCueHasASound: the kiosk asks only for cues the sound package
// ships.
func TestEveryCueHasASound(t *testing.T) {
	for _, cue := range ui.Cues() {
		if !sound.Has(cue) {
			t.Errorf("ui plays %q, which sound lacks (scripts/sounds.sh)", cue)
		}
	}
}

// TestExportCSV decides sample codes with a real engine and store, then
// exports the log as the admin panel does: masked names, no serials.
func TestExportCSV(t *testing.T) {
	var texts strings.Builder
	cases := sample.Cases(time.Now())
	for _, c := range cases {
		texts.WriteString(c.Text + "\n")
	}
	e, err := engine.Open(engine.Options{Config: firmwareconfig.Config{Device: "k1", Venue: "v1", Source: "stdin:",
		Data: t.TempDir(), Listen: "off", Dedupe: -1}, Stdin: strings.NewReader(texts.String()), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := &actions{e: e, now: func() time.Time { return time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) }}
	dir := t.TempDir()
	path, n, err := a.ExportCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := dir + "/fuscan-k1-20261202T100000Z.csv"; path != want || n != len(cases) {
		t.Errorf("ExportCSV = %s, %d records; want %s, %d", path, n, want, len(cases))
	}
	f, _ := os.Open(path)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], exportColumns) || len(rows) != len(cases)+1 {
		t.Fatalf("CSV header %v and %d rows, want %v and %d", rows[0], len(rows)-1, exportColumns, len(cases))
	}
	for _, r := range rows[1:] {
		if name := r[8]; name != "" && !strings.HasSuffix(name, "*") {
			t.Errorf("CSV name %q: not masked", name)
		}
	}
	if _, _, err := a.ExportCSV(dir); err != nil {
		t.Errorf("a second export in the same second: %v", err)
	}
}
