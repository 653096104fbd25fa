package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fuscan/fuscan/qrcard"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
	"github.com/fuscan/fuscan/terminal/sample"
)

// crashRounds is how many times TestCrash kills fuscand.
const crashRounds = 20

// TestCrash runs fuscand (this test binary, as fuscand) deciding as fast
// as it can from a dir: source, kills it with SIGKILL at a random moment,
// and checks the store: every decision fuscand printed as logged is in the
// log as printed, the chain verifies, seq has no gaps, and the next run
// carries on from the last record. scripts/crashtest.sh does the same
// with the real binaries.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills fuscand 20 times")
	}
	frames := writeFrames(t, sample.Cases(time.Now()))
	data := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var last uint64 // the log's last seq after the previous round
	total := 0
	for round := range crashRounds {
		printed, stderr := crashOnce(t, frames, data, time.Duration(rng.IntN(400))*time.Millisecond)
		s, err := boltstore.Open(filepath.Join(data, "terminal.db"), &boltstore.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: open after kill: %v\nfuscand's stderr:\n%s", round, err, stderr)
		}
		n, _, err := s.Verify()
		logged := records(t, s)
		s.Close()
		if err != nil {
			t.Fatalf("round %d: chain: %v", round, err)
		}
		if n < last {
			t.Fatalf("round %d: %d records, fewer than the %d before", round, n, last)
		}
		for seq := uint64(1); seq <= n; seq++ {
			if logged[seq] == nil {
				t.Fatalf("round %d: seq %d missing from %d records", round, seq, n)
			}
		}
		for i, l := range printed {
			r := logged[l.Seq]
			if !l.Logged || r == nil || r.Verdict != l.Verdict || string(r.Reason) != l.Reason || r.Format != l.Format {
				t.Fatalf("round %d: printed %+v, logged %+v", round, l, r)
			}
			if want := last + 1 + uint64(i); l.Seq != want {
				t.Fatalf("round %d: printed seq %d, want %d (carrying on from %d)", round, l.Seq, want, last)
			}
		}
		t.Logf("round %d: %d decisions printed, log %d → %d records", round, len(printed), last, n)
		total += len(printed)
		last = n
	}
	if total < crashRounds {
		t.Errorf("only %d decisions printed in %d rounds: fuscand hardly ran", total, crashRounds)
	}
}

// TestSIGTERM: on SIGTERM fuscand finishes the decision under way, closes
// the store and exits 0; every committed decision was printed.
func TestSIGTERM(t *testing.T) {
	frames := writeFrames(t, sample.Cases(time.Now())[:4])
	data := t.TempDir()
	printed, stderr, err := runUntil(t, frames, data, 100*time.Millisecond, syscall.SIGTERM)
	if err != nil {
		t.Fatalf("fuscand after SIGTERM: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "terminal stopped") {
		t.Errorf("stderr lacks the stop line:\n%s", stderr)
	}
	s, err := boltstore.Open(filepath.Join(data, "terminal.db"), &boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, _, err := s.Verify()
	if err != nil || n != uint64(len(printed)) || n == 0 {
		t.Errorf("log has %d records (%v), fuscand printed %d: want equal and more than 0", n, err, len(printed))
	}
}

// crashOnce starts fuscand, lets it decide for about d after its first
// decision, kills it, and returns the lines it printed and its stderr.
func crashOnce(t *testing.T, frames, data string, d time.Duration) ([]decisionLine, string) {
	t.Helper()
	printed, stderr, _ := runUntil(t, frames, data, d, syscall.SIGKILL)
	return printed, stderr
}

// runUntil starts fuscand deciding from frames in a loop, sends it sig
// about d after its first decision, and returns the lines it printed, its
// stderr and how it exited.
func runUntil(t *testing.T, frames, data string, d time.Duration, sig os.Signal) ([]decisionLine, string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--device", "crash-1", "--venue", "lab", "--data", data,
		"--source", "dir:"+frames+"?fps=max&loop=1", "--dedupe", "-1s", "--json", "--listen", "off")
	cmd.Env = append(os.Environ(), "FUSCAND_TEST_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var printed []decisionLine
	first := make(chan struct{})
	done := make(chan error)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var l decisionLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				done <- fmt.Errorf("line %q: %w", sc.Text(), err)
				io.Copy(io.Discard, out)
				return
			}
			if len(printed) == 0 {
				close(first)
			}
			printed = append(printed, l)
		}
		done <- sc.Err()
	}()
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("fuscand decided nothing in 30 s; stderr:\n%s", stderr.String())
	}
	time.Sleep(d)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	return printed, stderr.String(), err
}

// writeFrames writes a QR PNG of each case's code into a new directory,
// in order, for a dir: source.
func writeFrames(t *testing.T, cases []sample.Case) string {
	t.Helper()
	dir := t.TempDir()
	for i, c := range cases {
		var b bytes.Buffer
		if err := qrcard.WritePNG(&b, c.Text, &qrcard.ImageOptions{ModulePx: 2}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.png", i)), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// records returns the log's records by seq.
func records(t *testing.T, s *boltstore.Store) map[uint64]*terminal.Record {
	t.Helper()
	m := map[uint64]*terminal.Record{}
	err := s.Records(time.Time{}, func(r *terminal.Record) error {
		m[r.Seq] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
