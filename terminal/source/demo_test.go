package source_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder"
	"github.com/fuscan/fuscan/internal/race"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
	"github.com/fuscan/fuscan/terminal/source"
)

// TestDemoVerdicts runs the demo source as a terminal would see it: its
// frames, decoded and verified under the demo trust at the source's clock,
// show a pass, a warn, a deny and a refer within the first four visitors
// (the demo takes the verdicts in turn).
func TestDemoVerdicts(t *testing.T) {
	if race.Enabled {
		t.Skip("renders and decodes hundreds of frames: minutes under the race detector; the source's concurrency is covered by the other tests")
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	s, err := source.Open("demo:?fps=max&seed=1&width=640&height=360", &source.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// A clock that stands still: the decoder's time budget never runs
	// out, so what decodes does not depend on the machine's speed.
	dec := decoder.New(&decoder.Options{Now: now})
	v := terminal.NewVerifier(sample.Trust(), &terminal.Options{Now: now})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	frames := make(chan terminal.Frame)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, frames, nil) }()

	want := map[terminal.Verdict]terminal.Reason{terminal.Pass: terminal.OK, terminal.Warn: terminal.ColorYellow,
		terminal.Deny: terminal.ColorRed, terminal.Refer: terminal.FormatUnknown}
	const period = 150 // frames in a visitor's cycle
	seen := map[terminal.Verdict]terminal.Reason{}
	var order []terminal.Verdict // each visitor's verdict
	for n := 0; n < 4*period && len(seen) < len(want); n++ {
		f := <-frames
		// Decode a few frames of each cycle, while the code is held still.
		if k := n % period; k < 70 || k > 110 || k%10 != 0 {
			continue
		}
		if !f.At.Equal(at) {
			t.Fatalf("frame %d: At %v, want %v", n, f.At, at)
		}
		codes, err := dec.Decode(f.Image)
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		for _, c := range codes {
			d := v.Verify(c.Text)
			seen[d.Verdict] = d.Reason
			if len(order) == n/period {
				order = append(order, d.Verdict)
			}
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want context.Canceled", err)
	}
	for verdict, reason := range want {
		if got, ok := seen[verdict]; !ok || got != reason {
			t.Errorf("verdict %v: got reason %q (seen: %v), want %s", verdict, got, ok, reason)
		}
	}
	if want := []terminal.Verdict{terminal.Pass, terminal.Warn, terminal.Deny, terminal.Refer}; !slices.Equal(order, want) {
		t.Errorf("visitors' verdicts: got %v, want %v", order, want)
	}
}
