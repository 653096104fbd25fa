package terminal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fuscan/fuscan/internal/testkeys"
	"github.com/fuscan/fuscan/terminal/cose"
	"github.com/fuscan/fuscan/terminal/credential"
)

// memLog is a Log in memory that chains records as a real log does. It
// fails while fail is set, and notes each append in events.
type memLog struct {
	mu      sync.Mutex
	records []*Record
	fail    error
	events  *events
}

func (l *memLog) Append(records ...*Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	for _, r := range records {
		prev := make([]byte, 32)
		if n := len(l.records); n > 0 {
			prev = l.records[n-1].Hash
		}
		r.Seq, r.PrevHash = uint64(len(l.records)+1), prev
		r.Hash = ChainHash(prev, r)
		l.records = append(l.records, r)
		l.events.add(fmt.Sprintf("append %d", r.Seq))
	}
	return nil
}

func (l *memLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.records)
}

// events is an ordered note of what the log and the outputs did.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(s string) {
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

// shown is an Output that keeps what it was shown.
type shown struct {
	mu        sync.Mutex
	decisions []Decision
	seqs      []uint64
	events    *events
	err       error
}

func (s *shown) Show(_ context.Context, d *Decision, r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decisions = append(s.decisions, *d)
	s.seqs = append(s.seqs, r.Seq)
	s.events.add(fmt.Sprintf("show %d %v", r.Seq, d.Verdict))
	return s.err
}

func (s *shown) got() []Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Decision(nil), s.decisions...)
}

// grayDecoder reads a frame's code text from its first pixel: value v
// gives texts[v]. If gate is set, each Decode first reports the value on
// started and then waits to be released.
type grayDecoder struct {
	texts   map[uint8]string
	started chan uint8
	release chan struct{}
}

func (g *grayDecoder) Decode(img image.Image) ([]string, error) {
	v := img.(*image.Gray).GrayAt(0, 0).Y
	if g.started != nil {
		g.started <- v
		<-g.release
	}
	text, ok := g.texts[v]
	if !ok {
		return nil, errors.New("no code")
	}
	return []string{text}, nil
}

func grayFrame(v uint8, seq uint64, at time.Time) Frame {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.SetGray(0, 0, color.Gray{Y: v})
	return Frame{Image: img, At: at, Seq: seq}
}

// cardCode returns a valid card code with serial n, and the trust that
// verifies it.
func cardCode(t testing.TB, n int) (string, *Trust) {
	t.Helper()
	s := testkeys.Issuer(t, cose.SM2SM3)
	c := claims(credential.KindCard)
	c.Serial = fmt.Sprintf("FSC-%012d", n)
	return issue(t, s, c), trustOf(t, s)
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newTestPipeline(t testing.TB, trust *Trust, dec FrameDecoder, log *memLog, outs ...Output) *Pipeline {
	t.Helper()
	return NewPipeline(PipelineConfig{
		Verifier: NewVerifier(trust, &Options{Now: func() time.Time { return t0 }}),
		Decoder:  dec, Log: log, Outputs: outs, Device: "T1", Venue: "V1", SerialKey: []byte("k"),
		Now: func() time.Time { return t0 }, Logger: quiet(),
	})
}

// TestLatestFrameWins: while the decoder is busy with frame 1, frames 2 to
// 10 arrive; each replaces the one waiting, so only frame 10 is decoded
// next and 8 are dropped. It runs in a synctest bubble, so that it knows
// when Run has taken every frame.
func TestLatestFrameWins(t *testing.T) {
	// Signed outside the bubble: the signer's randomness keeps a global
	// channel, which must not belong to it.
	first, trust := cardCode(t, 1)
	last, _ := cardCode(t, 10)
	synctest.Test(t, func(t *testing.T) { testLatestFrameWins(t, first, last, trust) })
}

func testLatestFrameWins(t *testing.T, first, last string, trust *Trust) {
	dec := &grayDecoder{texts: map[uint8]string{1: first, 10: last}, started: make(chan uint8), release: make(chan struct{})}
	log := &memLog{}
	out := &shown{}
	p := newTestPipeline(t, trust, dec, log, out)
	frames := make(chan Frame)
	errc := make(chan error)
	go func() { errc <- p.Run(context.Background(), frames) }()

	frames <- grayFrame(1, 1, t0)
	if v := <-dec.started; v != 1 {
		t.Fatalf("decoding frame %d first, want 1", v)
	}
	var released [11]atomic.Int32
	for i := uint8(2); i <= 10; i++ {
		f := grayFrame(i, uint64(i), t0)
		f.Release = func() { released[i].Add(1) }
		frames <- f
	}
	synctest.Wait() // every frame is in: Run waits for the next
	for i := 2; i <= 9; i++ {
		if n := released[i].Load(); n != 1 {
			t.Errorf("frame %d, replaced before decoding, released %d times, want once", i, n)
		}
	}
	if n := p.Stats().Frames; n != 10 {
		t.Fatalf("got %d frames in, want 10", n)
	}
	close(frames)
	dec.release <- struct{}{}
	if v := <-dec.started; v != 10 {
		t.Errorf("decoding frame %d second, want 10", v)
	}
	dec.release <- struct{}{}
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := released[10].Load(); n != 1 {
		t.Errorf("frame 10, decoded, released %d times, want once", n)
	}
	st := p.Stats()
	if st.Frames != 10 || st.Dropped != 8 || st.Decisions != 2 {
		t.Errorf("got frames %d dropped %d decisions %d, want 10 8 2", st.Frames, st.Dropped, st.Decisions)
	}
	if n := log.len(); n != 2 {
		t.Fatalf("got %d records, want 2", n)
	}
	want := SerialHash([]byte("k"), "FSC-000000000010")
	if got := log.records[1].Serial; !bytes.Equal(got, want) {
		t.Errorf("second record is not frame 10's code")
	}
}

// TestDecide: a replay's frames are each decided, none dropped.
func TestDecide(t *testing.T) {
	texts := map[uint8]string{}
	var trust *Trust
	for i := uint8(1); i <= 5; i++ {
		texts[i], trust = cardCode(t, int(i))
	}
	log := &memLog{}
	p := newTestPipeline(t, trust, &grayDecoder{texts: texts}, log)
	for i := uint8(1); i <= 6; i++ {
		if err := p.Decide(context.Background(), grayFrame(i, uint64(i), t0)); err != nil {
			t.Fatal(err)
		}
	}
	st := p.Stats()
	if st.Frames != 6 || st.Dropped != 0 || st.DecodeErrors != 1 || st.Decisions != 5 || log.len() != 5 {
		t.Errorf("got %+v and %d records, want 6 frames, 0 dropped, 1 decode error, 5 decisions", st, log.len())
	}
	if n := st.Outcomes[Outcome{Pass, OK}]; n != 5 {
		t.Errorf("Outcomes[pass OK] = %d, want 5", n)
	}
	if err := newTestPipeline(t, trust, nil, log).Decide(context.Background(), grayFrame(1, 1, t0)); err == nil {
		t.Error("Decide without a decoder succeeded")
	}
}

// countingLog counts the calls to Append of the log it wraps.
type countingLog struct {
	*memLog
	calls int
}

func (l *countingLog) Append(records ...*Record) error {
	l.calls++
	return l.memLog.Append(records...)
}

// TestSubmitAll: a batch of scans is verified in order, committed in one
// Append, and shown in order; a repeat within the window is dropped; when
// the log fails, every decision of the batch is a TERMINAL_FAULT.
func TestSubmitAll(t *testing.T) {
	var scans []Scan
	var trust *Trust
	for i := range 4 {
		var text string
		text, trust = cardCode(t, i)
		scans = append(scans, Scan{text, t0})
	}
	scans = append(scans, scans[1]) // the same card again
	log := &countingLog{memLog: &memLog{}}
	out := &shown{}
	p := NewPipeline(PipelineConfig{
		Verifier: NewVerifier(trust, &Options{Now: func() time.Time { return t0 }}),
		Log:      log, Outputs: []Output{out}, Device: "T1", SerialKey: []byte("k"),
		Now: func() time.Time { return t0 }, Logger: quiet(),
	})
	p.SubmitAll(context.Background(), scans)
	if log.calls != 1 || log.len() != 4 {
		t.Fatalf("%d appends of %d records, want 1 of 4", log.calls, log.len())
	}
	for i, r := range log.records {
		if want := SerialHash([]byte("k"), fmt.Sprintf("FSC-%012d", i)); r.Seq != uint64(i+1) || !bytes.Equal(r.Serial, want) {
			t.Errorf("record %d: seq %d, not scan %d's card", i, r.Seq, i)
		}
	}
	if got := out.got(); len(got) != 4 || got[3].Reason != OK {
		t.Errorf("shown %v, want 4 pass", got)
	}
	if st := p.Stats(); st.Decisions != 4 || st.Duplicates != 1 {
		t.Errorf("stats %+v, want 4 decisions and 1 duplicate", st)
	}

	log.fail = errors.New("disk full")
	fresh, _ := cardCode(t, 9)
	p.SubmitAll(context.Background(), []Scan{{fresh, t0}})
	log.fail = nil
	p.SubmitAll(context.Background(), []Scan{{fresh, t0}})
	got := out.got()
	if len(got) != 6 || got[4].Reason != TerminalFault || got[5].Reason != OK {
		t.Errorf("shown %v, want a TERMINAL_FAULT, then the same card decided afresh", got)
	}
	p.SubmitAll(context.Background(), nil) // nothing to do, and no empty append
	if log.calls != 3 {
		t.Errorf("%d appends, want 3 (one a batch, none for an empty one)", log.calls)
	}
}

func TestDedupe(t *testing.T) {
	a, trust := cardCode(t, 1)
	b, _ := cardCode(t, 2)
	steps := []struct {
		text    string
		at      time.Duration
		decided bool
	}{
		{a, 0, true},
		{a, time.Second, false},
		{b, time.Second, true}, // a relative's code: at once
		{a, 3900 * time.Millisecond, false},
		{a, 7 * time.Second, true}, // 3.1 s after its last sighting
		{b, 7 * time.Second, true},
		{b, 7 * time.Second, false},
	}
	log := &memLog{}
	p := newTestPipeline(t, trust, nil, log)
	for i, s := range steps {
		before := log.len()
		p.Submit(context.Background(), s.text, t0.Add(s.at))
		if got := log.len() > before; got != s.decided {
			t.Errorf("step %d (%v): got decided %v, want %v", i, s.at, got, s.decided)
		}
	}
	if st := p.Stats(); st.Duplicates != 3 || st.Decisions != 4 || st.ByReason[OK] != 4 {
		t.Errorf("got duplicates %d decisions %d OK %d, want 3 4 4", st.Duplicates, st.Decisions, st.ByReason[OK])
	}
}

// TestLogFailureShowsNoPass: a decision the log cannot commit is shown as
// refer TERMINAL_FAULT, and the same code is decided afresh once the log
// works again.
func TestLogFailureShowsNoPass(t *testing.T) {
	a, trust := cardCode(t, 1)
	log := &memLog{fail: errors.New("disk full")}
	out := &shown{}
	p := newTestPipeline(t, trust, nil, log, out)
	p.Submit(context.Background(), a, t0)
	log.fail = nil
	p.Submit(context.Background(), a, t0.Add(time.Second))

	got := out.got()
	if len(got) != 2 {
		t.Fatalf("got %d decisions shown, want 2", len(got))
	}
	if got[0].Verdict != Refer || got[0].Reason != TerminalFault || got[0].Name != "" {
		t.Errorf("with the log failing: got %v %v name %q, want refer TERMINAL_FAULT, no name", got[0].Verdict, got[0].Reason, got[0].Name)
	}
	if out.seqs[0] != 0 {
		t.Errorf("uncommitted decision shown with seq %d, want 0", out.seqs[0])
	}
	if got[1].Verdict != Pass || out.seqs[1] != 1 {
		t.Errorf("after the log recovered: got %v seq %d, want pass seq 1", got[1].Verdict, out.seqs[1])
	}
	if st := p.Stats(); st.LogErrors != 1 || st.ByReason[TerminalFault] != 1 || st.ByVerdict[Pass] != 1 {
		t.Errorf("got log errors %d TERMINAL_FAULT %d pass %d, want 1 1 1", st.LogErrors, st.ByReason[TerminalFault], st.ByVerdict[Pass])
	}
}

// TestCommitBeforeShow: every output sees a decision only after the log
// has it, and outputs run in order even when one fails.
func TestCommitBeforeShow(t *testing.T) {
	a, trust := cardCode(t, 1)
	b, _ := cardCode(t, 2)
	ev := &events{}
	log := &memLog{events: ev}
	first := &shown{events: ev, err: errors.New("gate jammed")}
	second := &shown{events: ev}
	p := newTestPipeline(t, trust, nil, log, first, second)
	p.Submit(context.Background(), a, t0)
	p.Submit(context.Background(), b, t0)
	want := []string{"append 1", "show 1 pass", "show 1 pass", "append 2", "show 2 pass", "show 2 pass"}
	if fmt.Sprint(ev.list) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", ev.list, want)
	}
	if st := p.Stats(); st.OutputErrors != 2 {
		t.Errorf("got %d output errors, want 2", st.OutputErrors)
	}
}

// TestRunCancel: cancelling Run completes the decision under way, then
// returns the context's error.
func TestRunCancel(t *testing.T) {
	a, trust := cardCode(t, 1)
	dec := &grayDecoder{texts: map[uint8]string{1: a}, started: make(chan uint8), release: make(chan struct{})}
	log := &memLog{}
	out := &shown{}
	p := newTestPipeline(t, trust, dec, log, out)
	ctx, cancel := context.WithCancel(context.Background())
	frames := make(chan Frame)
	errc := make(chan error)
	go func() { errc <- p.Run(ctx, frames) }()
	frames <- grayFrame(1, 1, t0)
	<-dec.started
	cancel()
	dec.release <- struct{}{}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: got %v, want context.Canceled", err)
	}
	if log.len() != 1 || len(out.got()) != 1 {
		t.Errorf("got %d records, %d shown, want 1 1", log.len(), len(out.got()))
	}
}

func TestRunDecodeErrors(t *testing.T) {
	_, trust := cardCode(t, 1)
	p := newTestPipeline(t, trust, &grayDecoder{}, &memLog{})
	frames := make(chan Frame, 3)
	for i := range 3 {
		frames <- grayFrame(0, uint64(i), t0)
	}
	close(frames)
	if err := p.Run(context.Background(), frames); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Frames != 3 || st.DecodeErrors+st.Dropped != 3 || st.Decisions != 0 {
		t.Errorf("got frames %d decode errors %d dropped %d decisions %d, want 3, 3 between them, 0",
			st.Frames, st.DecodeErrors, st.Dropped, st.Decisions)
	}
	if err := NewPipeline(PipelineConfig{}).Run(context.Background(), frames); err == nil {
		t.Errorf("Run without a decoder: got nil error")
	}
}

func TestLatencySummary(t *testing.T) {
	var r ring
	for i := 1; i <= 100; i++ {
		r.add(time.Duration(i) * time.Millisecond)
	}
	l := r.summary()
	if l.Count != 100 || l.Last != 100*time.Millisecond || l.P50 != 50*time.Millisecond || l.P99 != 99*time.Millisecond || l.Max != 100*time.Millisecond {
		t.Errorf("got %+v, want count 100, last 100ms, p50 50ms, p99 99ms, max 100ms", l)
	}
}

// constDecoder finds the same text in every frame.
type constDecoder string

func (c constDecoder) Decode(image.Image) ([]string, error) { return []string{string(c)}, nil }

// notify is an Output that signals each decision.
type notify chan struct{}

func (n notify) Show(context.Context, *Decision, *Record) error { n <- struct{}{}; return nil }

// BenchmarkFrameToVerdict measures the time from a 720p frame's capture to
// its committed and shown verdict, one frame at a time, with a decoder
// that costs nothing and a log in memory: the pipeline's own overhead plus
// the verification of an SM2 card code.
func BenchmarkFrameToVerdict(b *testing.B) {
	a, trust := cardCode(b, 1)
	start := time.Now()
	now := func() time.Time { return t0.Add(time.Since(start)) }
	done := make(notify)
	p := NewPipeline(PipelineConfig{
		Verifier: NewVerifier(trust, nil), Decoder: constDecoder(a), Log: &memLog{}, Outputs: []Output{done},
		DedupeWindow: -1, Now: now, Logger: quiet(),
	})
	frames := make(chan Frame)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- p.Run(ctx, frames) }()
	img := image.NewGray(image.Rect(0, 0, 1280, 720))
	var seq uint64
	for b.Loop() {
		seq++
		frames <- Frame{Image: img, At: now(), Seq: seq}
		<-done
	}
	cancel()
	<-errc
	st := p.Stats()
	if st.ByVerdict[Pass] != st.Decisions {
		b.Fatalf("got %v, want only passes", st.ByReason)
	}
	b.ReportMetric(float64(st.Total.P50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(st.Total.P99.Microseconds()), "p99-µs")
}

// printer is an Output that prints each decision.
type printer struct{}

func (printer) Show(_ context.Context, d *Decision, r *Record) error {
	fmt.Println(r.Seq, d.Verdict, d.Reason)
	return nil
}

func ExamplePipeline_Submit() {
	p := NewPipeline(PipelineConfig{
		Verifier: NewVerifier(nil, nil), Log: &memLog{}, Outputs: []Output{printer{}},
		Device: "T1", Venue: "V1", Now: func() time.Time { return t0 },
	})
	ctx := context.Background()
	p.Submit(ctx, "https://example.com/menu", t0)
	p.Submit(ctx, "https://example.com/menu", t0.Add(time.Second)) // the same code, still held up
	p.Submit(ctx, "HC1:not a code", t0.Add(time.Second))
	st := p.Stats()
	fmt.Println(st.Decisions, "decisions,", st.Duplicates, "duplicate")
	// Output:
	// 1 refer FORMAT_UNKNOWN
	// 2 deny MALFORMED
	// 2 decisions, 1 duplicate
}

// TestRunAccountsForEveryFrame: with a camera faster than the decoder,
// every frame is either decoded or counted as dropped, and the last frame
// is always decoded.
func TestRunAccountsForEveryFrame(t *testing.T) {
	_, trust := cardCode(t, 1)
	p := newTestPipeline(t, trust, slowDecoder{}, &memLog{})
	frames := make(chan Frame)
	errc := make(chan error)
	go func() { errc <- p.Run(context.Background(), frames) }()
	for i := range 1000 {
		frames <- grayFrame(uint8(i), uint64(i), t0)
	}
	close(frames)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Frames != 1000 || st.Decode.Count+st.Dropped != st.Frames || st.Dropped == 0 {
		t.Errorf("got frames %d decoded %d dropped %d, want 1000 = decoded + dropped, some dropped",
			st.Frames, st.Decode.Count, st.Dropped)
	}
	if st.DecodeErrors != st.Decode.Count {
		t.Errorf("got %d decode errors, want one per decoded frame (%d)", st.DecodeErrors, st.Decode.Count)
	}
}

// slowDecoder yields to the camera goroutine before finding nothing.
type slowDecoder struct{}

func (slowDecoder) Decode(image.Image) ([]string, error) {
	time.Sleep(50 * time.Microsecond)
	return nil, errors.New("no code")
}

// TestSetVenueAndDedupe: a venue or window set while the pipeline runs
// applies from the next decision on.
func TestSetVenueAndDedupe(t *testing.T) {
	text, trust := cardCode(t, 1)
	log := &memLog{}
	p := newTestPipeline(t, trust, nil, log)
	p.Submit(context.Background(), text, t0)
	p.Submit(context.Background(), text, t0.Add(time.Second)) // within the default window: a repeat
	p.SetVenue("V2")
	p.SetDedupeWindow(-1) // every sighting
	p.Submit(context.Background(), text, t0.Add(2*time.Second))
	if n := log.len(); n != 2 {
		t.Fatalf("got %d records, want 2", n)
	}
	if v1, v2 := log.records[0].Venue, log.records[1].Venue; v1 != "V1" || v2 != "V2" {
		t.Errorf("venues %q %q, want V1 V2", v1, v2)
	}
}
