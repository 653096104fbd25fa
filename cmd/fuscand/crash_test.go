package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fuscan/fuscan/cmd/internal/cli"
	"github.com/fuscan/fuscan/decoder/scene"
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
	printed, stderr, _, err := runUntil(t, frames, data, 100*time.Millisecond, syscall.SIGTERM)
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

// TestSIGTERMPoster replays posters of finder patterns (issue 9) around a
// valid card in a loop: the card is decided, and decided again after the
// posters, and SIGTERM, sent a moment after a decision, while fuscand
// decodes a poster, stops it cleanly within a few seconds. The decoder
// used to spend minutes on such a poster and the terminal to ignore
// SIGTERM for as long.
func TestSIGTERMPoster(t *testing.T) {
	dir := writeFrames(t, sample.Cases(time.Now())[:1]) // 00.png, a card
	for i, p := range [][3]int{{1000, 1000, 1}, {720, 720, 2}, {1000, 1000, 3}} {
		var b bytes.Buffer
		if err := png.Encode(&b, scene.Poster(p[0], p[1], p[2])); err != nil {
			t.Fatal(err)
		}
		// 00-poster.png comes before the card's 00.png, the others after.
		name := fmt.Sprintf("%02d-poster.png", i)
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A loop takes about 300 ms: 3 s is time for several, on a loaded
	// machine for one.
	for _, d := range []time.Duration{0, 40 * time.Millisecond, 3 * time.Second} {
		printed, stderr, stopped, err := runUntil(t, dir, t.TempDir(), d, syscall.SIGTERM)
		if err != nil {
			t.Fatalf("SIGTERM %v after the first decision: exit %v\n%s", d, err, stderr)
		}
		if d == 3*time.Second && len(printed) < 2 {
			t.Errorf("%d decisions in 3 s, want the card decided again after the posters", len(printed))
		}
		// Generous, for a loaded machine: it takes a decode, about 100 ms.
		if stopped > 10*time.Second {
			t.Errorf("SIGTERM %v after the first decision: stopped %v later, want a few seconds at most", d, stopped)
		}
		t.Logf("SIGTERM %v after the first decision: %d decisions, stopped %v later", d, len(printed), stopped)
	}
}

// crashOnce starts fuscand, lets it decide for about d after its first
// decision, kills it, and returns the lines it printed and its stderr.
func crashOnce(t *testing.T, frames, data string, d time.Duration) ([]cli.DecisionLine, string) {
	t.Helper()
	printed, stderr, _, _ := runUntil(t, frames, data, d, syscall.SIGKILL)
	return printed, stderr
}

// maxStop is how long runUntil waits for fuscand to exit after the
// signal before it kills it and fails the test.
const maxStop = 30 * time.Second

// runUntil starts fuscand deciding from frames in a loop, sends it sig
// about d after its first decision, and returns the lines it printed, its
// stderr, how long it took to exit after the signal and how it exited.
func runUntil(t *testing.T, frames, data string, d time.Duration, sig os.Signal) ([]cli.DecisionLine, string, time.Duration, error) {
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
	var printed []cli.DecisionLine
	first := make(chan struct{})
	done := make(chan error)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var l cli.DecisionLine
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
	signalled := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(maxStop):
		cmd.Process.Kill()
		t.Fatalf("fuscand still running %v after %v; stderr:\n%s", maxStop, sig, stderr.String())
	}
	err = cmd.Wait()
	return printed, stderr.String(), time.Since(signalled), err
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
