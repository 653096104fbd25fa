package engine

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fuscan/fuscan/decoder"
	"github.com/fuscan/fuscan/decoder/scene"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/sample"
)

// benchEngine opens an engine with a real, fsync'd store, deciding every
// sighting (no de-duplication), at the real clock.
func benchEngine(b *testing.B) *Engine {
	b.Helper()
	cfg := config(b, "stdin:")
	cfg.Dedupe = -1
	e, err := Open(Options{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// BenchmarkDurableDecisions measures decisions committed to disk (fsync)
// and shown, per second: "lanes" goroutines submit green cards at once, as
// several scanners or a batch check of a school class do, and share
// commits; lanes=1 is one scanner waiting for each commit.
func BenchmarkDurableDecisions(b *testing.B) {
	card := sample.Cases(time.Now())[0].Text
	for _, lanes := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) {
			e := benchEngine(b)
			ctx := context.Background()
			var next atomic.Int64
			b.ResetTimer()
			start := time.Now()
			done := make(chan struct{})
			for range lanes {
				go func() {
					defer func() { done <- struct{}{} }()
					for next.Add(1) <= int64(b.N) {
						e.Pipeline().Submit(ctx, card, time.Now())
					}
				}()
			}
			for range lanes {
				<-done
			}
			took := time.Since(start)
			b.StopTimer()
			st := e.Pipeline().Stats()
			if st.Decisions != uint64(b.N) || st.LogErrors != 0 || st.ByReason[terminal.OK] != uint64(b.N) {
				b.Fatalf("stats %+v after %d submits", st, b.N)
			}
			b.ReportMetric(float64(b.N)/took.Seconds(), "decisions/s")
		})
	}
}

// BenchmarkDurableScannerList measures the same from one lane: a stdin:
// scanner fed a list of codes, as a batch check is. Codes read while a
// commit runs share the next one.
func BenchmarkDurableScannerList(b *testing.B) {
	card := sample.Cases(time.Now())[0].Text
	list := strings.Repeat(card+"\n", b.N)
	cfg := config(b, "stdin:")
	cfg.Dedupe = -1
	e, err := Open(Options{Config: cfg, Stdin: strings.NewReader(list), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.ResetTimer()
	start := time.Now()
	if err := e.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	if st := e.Pipeline().Stats(); st.Decisions != uint64(b.N) || st.ByReason[terminal.OK] != uint64(b.N) {
		b.Fatalf("stats %+v after %d lines", st, b.N)
	}
	b.ReportMetric(float64(b.N)/took.Seconds(), "decisions/s")
}

// BenchmarkFrameToVerdict measures the time from a 720p camera frame to
// its verdict committed in the log, with the real decoder, verifier and
// fsync'd store: frames of a visitor holding up a sample code (moving,
// blurred, tilted), each decided in turn. It reports p50 and p99 over the
// run.
func BenchmarkFrameToVerdict(b *testing.B) {
	cases := sample.Cases(time.Now())
	seq := scene.SequenceOf(7, image.Pt(1280, 720), func(v int) string { return cases[v%len(cases)].Text })
	// Frames in which the decoder finds the code: the benchmark is of
	// frames that become verdicts.
	var frames []image.Image
	texts := map[string]bool{}
	dec := decoder.New(nil)
	for t := 0; len(frames) < 60 && t < 30*150; t += 11 {
		s := seq(t)
		if s.Text == "" {
			continue
		}
		if codes, err := dec.Decode(s.Image); err == nil && len(codes) > 0 {
			frames = append(frames, s.Image)
			texts[s.Text] = true
		}
	}
	if len(frames) == 0 {
		b.Fatal("the decoder read no frame of the sequence")
	}
	b.Logf("%d frames showing %d codes", len(frames), len(texts))
	e := benchEngine(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Pipeline().Decide(ctx, terminal.Frame{Image: frames[i%len(frames)], At: time.Now(), Seq: uint64(i)})
	}
	b.StopTimer()
	st := e.Pipeline().Stats()
	if st.Decisions < uint64(b.N)*9/10 {
		b.Fatalf("%d of %d frames decided: %+v", st.Decisions, b.N, st)
	}
	b.ReportMetric(float64(st.Total.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(st.Total.P99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(st.Decisions)/float64(b.N), "decided/frame")
}
