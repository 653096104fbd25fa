package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/terminal/boltstore"
	"github.com/fuscan/fuscan/terminal/sample"
)

// TestMain lets the crash test run this binary as fuscand itself.
func TestMain(m *testing.M) {
	if os.Getenv("FUSCAND_TEST_CHILD") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestUsage(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(cfg, []byte(`{"profile": "transit", "device": "g1", "venue": "v1"}`), 0o600)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, exitOK, "--source URL"},
		{[]string{"-h"}, exitOK, "  mqtt.broker      Broker URL"},
		{[]string{"--help"}, exitOK, "  retention_days   Days acknowledged records are kept. Default: 30."},
		{nil, exitUsage, "no device (--device)"},
		{[]string{"--profile", "demo"}, exitUsage, "no data (--data)"},
		{[]string{"--profile", "lobby"}, exitUsage, `no profile "lobby"`},
		{[]string{"--config", cfg, "--profile", "demo"}, exitUsage, "give one"},
		{[]string{"--config", cfg + ".missing"}, exitUsage, "no such file"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "--dedupe", "3 s"}, exitUsage, "--dedupe"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "--log-level", "loud"}, exitUsage, "--log-level"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "extra"}, exitUsage, `unexpected argument "extra"`},
		{[]string{"--bogus"}, exitUsage, "bogus"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "--gate", "relay:1", "--listen", "off"}, exitUsage, "gate"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "--source", "webcam:0", "--listen", "off"}, exitUsage, `unknown scheme "webcam"`},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "--trust", "/nonexistent/trust.json", "--listen", "off"}, exitFailure, "no such file"},
		{[]string{"--profile", "demo", "--data", t.TempDir(), "--device", "a/b"}, exitUsage, `device "a/b"`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(""), &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String()+stderr.String(), c.want) {
			t.Errorf("fuscand %q: exit %d, output %q; want exit %d and %q", c.args, code, stdout.String()+stderr.String(), c.code, c.want)
		}
	}
}

// TestJSON runs fuscand on scanned texts from stdin with --json and checks
// each line against the log.
func TestJSON(t *testing.T) {
	now := time.Now()
	cases := sample.Cases(now)
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(c.Text + "\n")
	}
	data := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{"--profile", "demo", "--data", data, "--source", "stdin:", "--device", "gate-9", "--venue", "hall-2", "--json", "--listen", "off"}
	if code := run(context.Background(), args, strings.NewReader(in.String()), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	lines := readLines(t, stdout.Bytes())
	if len(lines) != len(cases) {
		t.Fatalf("%d JSON lines, want %d:\n%s", len(lines), len(cases), stdout.String())
	}
	s, err := boltstore.Open(filepath.Join(data, "terminal.db"), &boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logged := records(t, s)
	for i, c := range cases {
		l := lines[i]
		if l.Seq != uint64(i+1) || !l.Logged || l.Verdict != c.Verdict.String() || l.Reason != string(c.Reason) || l.Device != "gate-9" {
			t.Errorf("%s: line %+v, want seq %d %v %s", c.Label, l, i+1, c.Verdict, c.Reason)
		}
		if l.Time.Sub(now).Abs() > time.Minute {
			t.Errorf("%s: time %v, want about %v", c.Label, l.Time, now)
		}
		r := logged[l.Seq]
		if r == nil || r.Verdict != l.Verdict || string(r.Reason) != l.Reason || r.Format != l.Format || r.Venue != "hall-2" {
			t.Errorf("%s: logged %+v, printed %+v", c.Label, r, l)
		}
	}
	if !strings.Contains(stderr.String(), "DEMO KEYS") || !strings.Contains(stderr.String(), "terminal stopped") {
		t.Errorf("stderr lacks the demo-trust warning or the stop line:\n%s", stderr.String())
	}
}

func readLines(t *testing.T, out []byte) []cli.DecisionLine {
	t.Helper()
	var lines []cli.DecisionLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l cli.DecisionLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe runs fuscand with its health server on a free loopback port,
// scans a code, reads /healthz and /metrics, and stops it as SIGTERM does
// (by cancelling its context).
func TestServe(t *testing.T) {
	in, scanner := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	exit := make(chan int)
	args := []string{"--profile", "demo", "--data", t.TempDir(), "--source", "stdin:", "--listen", "127.0.0.1:0", "--json"}
	go func() { exit <- run(ctx, args, in, &stdout, &stderr) }()

	addr := ""
	for deadline := time.Now().Add(10 * time.Second); addr == ""; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no serving line:\n%s", stderr.String())
		}
		if _, rest, ok := strings.Cut(stderr.String(), `msg="serving /healthz, /metrics and /backup" addr=`); ok {
			addr, _, _ = strings.Cut(rest, "\n")
		}
	}
	fmt.Fprintln(scanner, sample.Cases(time.Now())[0].Text)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stdout.String(), "\n"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no decision:\n%s", stderr.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"last_seq": 1`) {
		t.Errorf("/healthz = %d %s, want 200 with last_seq 1", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `fuscan_decisions_total{reason="OK",verdict="pass"} 1`) {
		t.Errorf("/metrics lacks the pass decision:\n%s", body)
	}
	cancel()
	scanner.Close() // a real terminal's stdin read ends only at its next line
	if code := <-exit; code != exitOK {
		t.Errorf("exit %d after cancel, want 0:\n%s", code, stderr.String())
	}
}
