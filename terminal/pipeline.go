package terminal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Frame is one camera image, stamped by its source with the pipeline's
// clock when it was captured.
type Frame struct {
	Image image.Image
	At    time.Time
	Seq   uint64 // the source's frame counter, for logs
	// Release, when set, hands Image back to its source for a later frame.
	// The pipeline calls it once it is done with the frame: decoded, or
	// replaced by a newer one before decoding. Nil: the image is the
	// garbage collector's.
	Release func()
}

// release calls f.Release, if any.
func (f Frame) release() {
	if f.Release != nil {
		f.Release()
	}
}

// FrameDecoder finds the code texts in an image. The pipeline consumes it;
// the engine (cmd/internal/engine) adapts the decoder package to it.
type FrameDecoder interface {
	Decode(img image.Image) ([]string, error)
}

// Log is the durable scan log. Append must not return before the records
// are on disk; it assigns each record's Seq, PrevHash and Hash in place.
type Log interface {
	Append(records ...*Record) error
}

// Output shows a committed decision: a gate, a screen, a sound, a JSON line.
// r is the record as logged; its Seq is 0 when the log failed and d was
// turned into a refer TERMINAL_FAULT.
type Output interface {
	Show(ctx context.Context, d *Decision, r *Record) error
}

// PipelineConfig configures a Pipeline. Verifier and Log are required.
type PipelineConfig struct {
	Verifier *Verifier
	Decoder  FrameDecoder // needed by Run only
	Log      Log
	Outputs  []Output // shown in this order

	Device, Venue string // written into every record
	SerialKey     []byte // keys the serial hash of records (SerialHash)

	// DedupeWindow is how long the same code text is one presentation,
	// counted from its last sighting. Zero: DefaultDedupeWindow; negative:
	// every sighting is decided.
	DedupeWindow time.Duration
	// Now is the pipeline's clock for latencies; sources stamp frames with
	// it. Nil: time.Now.
	Now func() time.Time
	// Logger receives faults and, at debug level, each decision. Nil:
	// slog.Default().
	Logger *slog.Logger
}

// Pipeline turns frames and scanned texts into logged, shown decisions:
// decode (latest frame wins), de-duplicate, verify, commit to the log,
// then show. A decision reaches the outputs only once it is on disk.
// Run and Submit may be used concurrently: codes are verified one at a
// time, concurrent commits share an fsync, and outputs show one decision at
// a time.
type Pipeline struct {
	cfg    PipelineConfig
	now    func() time.Time
	logger *slog.Logger

	mu    sync.Mutex // serialises de-duplication and verification; guards venue and dedup
	dedup *dedupe
	venue string
	outMu sync.Mutex // serialises outputs

	stats stats
}

// NewPipeline returns a pipeline configured by cfg.
func NewPipeline(cfg PipelineConfig) *Pipeline {
	p := &Pipeline{cfg: cfg, now: cfg.Now, logger: cfg.Logger, venue: cfg.Venue}
	if p.now == nil {
		p.now = time.Now
	}
	if p.logger == nil {
		p.logger = slog.Default()
	}
	p.SetDedupeWindow(cfg.DedupeWindow)
	p.stats.init()
	return p
}

// SetVenue makes venue the venue of the decisions from the next one on:
// an administrator moved the terminal.
func (p *Pipeline) SetVenue(venue string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.venue = venue
}

// SetDedupeWindow sets the de-duplication window from the next sighting
// on, as PipelineConfig.DedupeWindow does; codes seen so far are
// forgotten.
func (p *Pipeline) SetDedupeWindow(window time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dedup = newDedupe(cmp.Or(window, DefaultDedupeWindow), DefaultDedupeMemory)
}

// Run decides the codes in frames until frames is closed (it returns nil)
// or ctx is done (it returns ctx.Err()). When decoding is slower than the
// camera, a frame arriving while the decoder is busy replaces the one
// waiting, which is counted as dropped: the decoder always gets the latest
// frame, and nothing queues. A decision under way when ctx is done is
// completed — committed and shown — before Run returns.
func (p *Pipeline) Run(ctx context.Context, frames <-chan Frame) error {
	if p.cfg.Decoder == nil {
		return errors.New("terminal: pipeline has no frame decoder")
	}
	mailbox := make(chan Frame, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range mailbox {
			p.frame(context.WithoutCancel(ctx), f)
		}
	}()
	defer func() {
		close(mailbox)
		<-done
	}()
	for {
		select {
		case <-ctx.Done():
			p.discard(mailbox)
			return ctx.Err()
		case f, ok := <-frames:
			if !ok {
				return nil
			}
			p.post(mailbox, f)
		}
	}
}

// Decide decodes f and decides each code text in it, returning once they
// are committed and shown. It is for replays, where every frame counts and
// the source waits for the pipeline; a camera's frames go through Run.
func (p *Pipeline) Decide(ctx context.Context, f Frame) error {
	if p.cfg.Decoder == nil {
		f.release()
		return errors.New("terminal: pipeline has no frame decoder")
	}
	p.stats.frame(false)
	p.frame(ctx, f)
	return nil
}

// post puts f in the one-slot mailbox, replacing a frame still waiting.
// Run is the mailbox's only sender, so once it is emptied the send cannot
// block.
func (p *Pipeline) post(mailbox chan Frame, f Frame) {
	dropped := false
	select {
	case old := <-mailbox:
		old.release()
		dropped = true
	default:
	}
	mailbox <- f
	p.stats.frame(dropped)
}

// discard drops a frame still waiting when Run stops.
func (p *Pipeline) discard(mailbox chan Frame) {
	select {
	case old := <-mailbox:
		old.release()
		p.stats.drop()
	default:
	}
}

// frame decodes f and decides each code text in it.
func (p *Pipeline) frame(ctx context.Context, f Frame) {
	start := p.now()
	texts, err := p.cfg.Decoder.Decode(f.Image)
	f.release() // the texts are all the pipeline keeps of it
	p.stats.decoded(p.now().Sub(start), err)
	if err != nil {
		p.logger.Debug("frame not decoded", "frame", f.Seq, "err", err)
		return
	}
	for _, text := range texts {
		p.decide(ctx, text, f.At)
	}
}

// Submit decides a code text delivered by a scanner, seen at at. It
// returns once the decision is committed and shown, or found to be a
// repeat within the de-duplication window.
func (p *Pipeline) Submit(ctx context.Context, text string, at time.Time) {
	p.decide(ctx, text, at)
}

// Scan is a code text and when it was seen.
type Scan struct {
	Text string
	At   time.Time
}

// SubmitAll decides scans in order, committing their decisions to the log
// together (one fsync), then shows them in order. A scanner feeding codes
// faster than one fsync each (a batch check, a replayed list) gives the
// pipeline what it has queued: the log's group commit then serves a
// single lane too.
func (p *Pipeline) SubmitAll(ctx context.Context, scans []Scan) {
	var ds []*pending
	for _, s := range scans {
		if d := p.verify(s.Text, s.At); d != nil {
			ds = append(ds, d)
		}
	}
	p.commit(ds)
	p.show(ctx, ds)
}

// decide runs one code text, seen at at, through de-duplication, the
// verifier, the log and the outputs. De-duplication and verification are
// done one decision at a time; the commit is not, so that decisions from
// several goroutines share an fsync (the log gathers concurrent appends),
// and outputs are shown one decision at a time again, in commit order for
// a single caller.
func (p *Pipeline) decide(ctx context.Context, text string, at time.Time) {
	d := p.verify(text, at)
	if d == nil {
		return
	}
	ds := []*pending{d}
	p.commit(ds)
	p.show(ctx, ds)
}

// pending is a decision on its way through the pipeline.
type pending struct {
	text  string
	at    time.Time
	venue string
	d     Decision
	r     *Record
	err   error // the log's, when the commit failed
	lat   latencies
	stage time.Time // when its verification ended
}

// verify de-duplicates and verifies text, seen at at. It returns nil for a
// repeat within the de-duplication window.
func (p *Pipeline) verify(text string, at time.Time) *pending {
	p.mu.Lock()
	if !p.dedup.fresh(text, at) {
		p.mu.Unlock()
		p.stats.duplicate()
		return nil
	}
	t := p.now()
	d := &pending{text: text, at: at, d: p.cfg.Verifier.VerifyAt(text, at), venue: p.venue}
	p.mu.Unlock()
	d.stage = p.now()
	d.lat.verify = d.stage.Sub(t)
	d.r = NewRecord(&d.d, p.cfg.Device, d.venue, p.cfg.SerialKey)
	d.r.LatencyUS = max(p.now().Sub(at), 0).Microseconds()
	return d
}

// commit appends the records of ds to the log in one call. When the log
// fails, each decision becomes a refer TERMINAL_FAULT: not on disk, so not
// decided. Staff must check by hand, and the next sighting of the code is
// decided afresh.
func (p *Pipeline) commit(ds []*pending) {
	if len(ds) == 0 {
		return
	}
	records := make([]*Record, len(ds))
	for i, d := range ds {
		records[i] = d.r
	}
	err := p.cfg.Log.Append(records...)
	now := p.now()
	for _, d := range ds {
		d.lat.commit = now.Sub(d.stage)
		d.lat.total = max(now.Sub(d.at), 0) // a scanner's clock may differ slightly
		if err == nil {
			p.logger.Debug("decision", "seq", d.r.Seq, "verdict", d.d.Verdict, "reason", d.d.Reason, "format", d.r.Format)
			continue
		}
		p.mu.Lock()
		p.dedup.forget(d.text)
		p.mu.Unlock()
		p.logger.Error("scan log append failed: decision withheld, showing refer TERMINAL_FAULT",
			"verdict", d.d.Verdict, "reason", d.d.Reason, "err", err)
		d.err = err
		d.d = faultDecision(d.d, fmt.Errorf("scan log: %w", err))
		d.r = NewRecord(&d.d, p.cfg.Device, d.venue, p.cfg.SerialKey)
	}
}

// show runs the outputs for each of ds, one decision at a time.
func (p *Pipeline) show(ctx context.Context, ds []*pending) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	for _, d := range ds {
		start := p.now()
		outErrs := 0
		for _, o := range p.cfg.Outputs {
			if err := o.Show(ctx, &d.d, d.r); err != nil {
				outErrs++
				p.logger.Warn("output failed", "output", fmt.Sprintf("%T", o), "seq", d.r.Seq, "err", err)
			}
		}
		d.lat.output = p.now().Sub(start)
		p.stats.decided(&d.d, d.err != nil, outErrs, d.lat)
	}
}

// faultDecision is what is shown instead of d when d could not be
// committed: refer TERMINAL_FAULT, with nothing of the holder.
func faultDecision(d Decision, err error) Decision {
	return Decision{Verdict: Refer, Reason: TerminalFault, Detail: err.Error(), At: d.At,
		Format: d.Format, KID: d.KID, Issuer: d.Issuer,
		PolicyVersion: d.PolicyVersion, TrustVersion: d.TrustVersion}
}

// Stats is a snapshot of a pipeline's counters and recent latencies.
type Stats struct {
	Frames       uint64 // frames received by Run
	Dropped      uint64 // frames replaced by a newer one before decoding
	DecodeErrors uint64
	Duplicates   uint64 // sightings within the de-duplication window
	Decisions    uint64 // decisions shown, including TERMINAL_FAULT refers
	LogErrors    uint64 // decisions the log failed to commit
	OutputErrors uint64

	ByVerdict map[Verdict]uint64 // decisions as shown
	ByReason  map[Reason]uint64
	Outcomes  map[Outcome]uint64 // by verdict and reason together

	Decode Latency // per frame
	Verify Latency
	Commit Latency // Log.Append
	Output Latency // all outputs of one decision
	Total  Latency // from the frame's (or scan's) time to the committed verdict
}

// Outcome is a verdict with its reason: policy may give one reason
// different verdicts.
type Outcome struct {
	Verdict Verdict
	Reason  Reason
}

// Latency summarises the most recent samples of one stage (at most
// LatencySamples of them).
type Latency struct {
	Count    uint64 // samples ever taken
	Last     time.Duration
	P50, P99 time.Duration // over the recent samples
	Max      time.Duration // over the recent samples
}

// LatencySamples is how many recent samples each Latency is computed over.
const LatencySamples = 1024

// Stats returns a snapshot of the pipeline's counters and latencies.
func (p *Pipeline) Stats() Stats { return p.stats.snapshot() }

type latencies struct{ verify, commit, output, total time.Duration }

type stats struct {
	mu                                               sync.Mutex
	framesSeen, dropped, decodeErrs, dups, decisions uint64
	logErrs, outErrs                                 uint64
	byVerdict                                        map[Verdict]uint64
	byReason                                         map[Reason]uint64
	outcomes                                         map[Outcome]uint64
	decode, verify, commit, output, total            ring
}

func (s *stats) init() {
	s.byVerdict = map[Verdict]uint64{}
	s.byReason = map[Reason]uint64{}
	s.outcomes = map[Outcome]uint64{}
}

func (s *stats) frame(dropped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.framesSeen++
	if dropped {
		s.dropped++
	}
}

func (s *stats) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropped++
}

func (s *stats) decoded(took time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decode.add(took)
	if err != nil {
		s.decodeErrs++
	}
}

func (s *stats) duplicate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dups++
}

func (s *stats) decided(d *Decision, logFailed bool, outErrs int, lat latencies) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decisions++
	s.byVerdict[d.Verdict]++
	s.byReason[d.Reason]++
	s.outcomes[Outcome{d.Verdict, d.Reason}]++
	s.outErrs += uint64(outErrs)
	s.verify.add(lat.verify)
	s.commit.add(lat.commit)
	s.output.add(lat.output)
	if logFailed {
		s.logErrs++
		return
	}
	s.total.add(lat.total)
}

func (s *stats) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Frames: s.framesSeen, Dropped: s.dropped, DecodeErrors: s.decodeErrs, Duplicates: s.dups,
		Decisions: s.decisions, LogErrors: s.logErrs, OutputErrors: s.outErrs,
		ByVerdict: maps.Clone(s.byVerdict), ByReason: maps.Clone(s.byReason), Outcomes: maps.Clone(s.outcomes),
		Decode: s.decode.summary(), Verify: s.verify.summary(), Commit: s.commit.summary(),
		Output: s.output.summary(), Total: s.total.summary(),
	}
}

// ring holds the most recent latency samples of one stage.
type ring struct {
	n    uint64
	last time.Duration
	buf  [LatencySamples]time.Duration
}

func (r *ring) add(d time.Duration) {
	r.buf[r.n%LatencySamples] = d
	r.n++
	r.last = d
}

func (r *ring) summary() Latency {
	l := Latency{Count: r.n, Last: r.last}
	s := slices.Clone(r.buf[:min(r.n, LatencySamples)])
	if len(s) == 0 {
		return l
	}
	slices.Sort(s)
	l.P50, l.P99, l.Max = s[(len(s)-1)/2], s[(len(s)-1)*99/100], s[len(s)-1]
	return l
}
