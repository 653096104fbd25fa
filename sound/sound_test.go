package sound

import (
	"context"
	"encoding/binary"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestCues: every cue is a short mono WAV at a low rate, and all of them
// together stay well under 1 MB.
func TestCues(t *testing.T) {
	names := Names()
	for _, want := range []string{"pass", "warn", "deny", "refer", "voice/zh-CN/pass", "voice/en/less_glare"} {
		if !slices.Contains(names, want) || !Has(want) {
			t.Errorf("no cue %q in %v", want, names)
		}
	}
	total := 0
	for _, name := range names {
		data, err := fs.ReadFile(cues, "cues/"+name+".wav")
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		if len(data) < 44 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" || string(data[12:16]) != "fmt " {
			t.Errorf("%s: not a WAV file", name)
			continue
		}
		channels, rate := binary.LittleEndian.Uint16(data[22:]), binary.LittleEndian.Uint32(data[24:])
		if channels != 1 || rate > 16000 {
			t.Errorf("%s: %d channels at %d Hz, want mono at most 16 kHz", name, channels, rate)
		}
	}
	if total > 600<<10 {
		t.Errorf("cues total %d bytes, want under 600 KiB", total)
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestPlay(t *testing.T) {
	log := filepath.Join(t.TempDir(), "played")
	p, err := Open(&Options{Players: [][]string{{"sh", "-c", `basename "$0" >> ` + log}}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	p.Play("pass")
	p.Play("no-such-cue")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(log)
	if strings.TrimSpace(string(got)) != "pass.wav" && len(got) != 0 {
		t.Errorf("played %q, want pass.wav at most", got)
	}
	if _, err := os.Stat(p.dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind", p.dir)
	}
	p.Play("pass") // closed: dropped, no panic
}

// TestDropWhenBusy: while a cue plays, Play never waits, and cues beyond
// the queue are dropped.
func TestDropWhenBusy(t *testing.T) {
	log := filepath.Join(t.TempDir(), "played")
	p, err := Open(&Options{Players: [][]string{{"sh", "-c", `echo "$0" >> ` + log + `; sleep 30`}}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		p.Play("deny")
	}
	if err := p.Close(); err != nil { // kills the sleeping player
		t.Fatal(err)
	}
	got, _ := os.ReadFile(log)
	if n := strings.Count(string(got), "\n"); n > 1+DefaultQueue {
		t.Errorf("%d cues played of 50 while busy, want at most %d", n, 1+DefaultQueue)
	}
}

// TestSilentFallback: without a working player the Player goes silent and
// Play still returns at once.
func TestSilentFallback(t *testing.T) {
	p, err := Open(&Options{Players: [][]string{{"false"}, {filepath.Join(t.TempDir(), "no-player")}}, Logger: quiet(), Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range giveUp {
		p.attempt(context.Background(), "warn")
	}
	if !p.Silent() {
		t.Error("a Player whose players all fail did not go silent")
	}
	none, err := Open(&Options{Players: [][]string{}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer none.Close()
	if !none.Silent() {
		t.Error("a Player without players is not silent")
	}
}
