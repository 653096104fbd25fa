// Package engine runs a terminal from its configuration: it opens the
// store, loads the trust data, builds the verifier and the scan pipeline,
// runs the source (retrying it with backoff when it fails), purges old
// acknowledged records, and reports health and Prometheus metrics (and
// serves a copy of the store) over HTTP. fuscand runs it headless; the
// kiosk adds its screen as an output.
//
// # Caveats
//
// The store's file is locked while an Engine is open: fuscanctl log
// commands on the same file wait until the engine is closed, so the
// handler serves a consistent copy at /backup.
//
// A trust snapshot marked demo trusts keys whose private halves are
// published: Open logs a warning, and Health and the metrics say so, for as
// long as it is in use.
//
// A store that is damaged but readable (an invalid meta page, seqs
// skipped, a broken chain: boltstore.Damage) is opened and used, so that
// the terminal keeps deciding; the store logs the damage at Open, and
// Health and the metrics report it until the records concerned are
// purged. A store that cannot be read safely fails Open.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	firmwareconfig "github.com/fuscan/fuscan/firmware-config"
	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/mqttlink"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
	"github.com/fuscan/fuscan/terminal/gate"
	"github.com/fuscan/fuscan/terminal/source"
)

// StoreFile is the store's file name in the data directory.
const StoreFile = "terminal.db"

// Defaults for the zero values of Options.
const (
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultPurgeEvery = time.Hour
)

// ErrConfig is wrapped by Open's errors that come from the configuration
// itself (a missing field, a bad source URL or gate spec), as opposed to
// the files, devices and store it names.
var ErrConfig = errors.New("bad configuration")

// Options configures Open. Config is required; the zero value of every
// other field is a working default.
type Options struct {
	// Config is the terminal's configuration; Open applies its defaults
	// and validates it.
	Config firmwareconfig.Config
	// Outputs show committed decisions before the gate acts, so that a
	// slow or failing gate (up to its timeout) does not delay the screen:
	// a screen, JSON lines. Nil: the gate and the log only.
	Outputs []terminal.Output
	// Logger receives the engine's logs and a line per decision. Nil:
	// slog.Default().
	Logger *slog.Logger
	// Now is the terminal's clock. Nil: time.Now.
	Now func() time.Time
	// Stdin is what a stdin: source reads. Nil: os.Stdin.
	Stdin io.Reader
	// Backoff is the first wait before a failed source is opened again;
	// it doubles up to MaxBackoff. Zero: DefaultBackoff and
	// DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// PurgeEvery is how often acknowledged records past retention are
	// purged. Zero: DefaultPurgeEvery.
	PurgeEvery time.Duration
	// NoSync skips fsync in the store: for tests of everything else only.
	NoSync bool
	// Frames is called with each frame of the source before it is
	// decoded: a camera preview. It must return at once and must not keep
	// the image, which the source may reuse. Nil: none.
	Frames func(terminal.Frame)
	// Hints is called when a frame shows a code that could not be read,
	// with what the person at the camera should do. It must return at
	// once. Nil: none.
	Hints func(terminal.Hint)
}

// Engine is an open terminal. Run it once, then Close it.
type Engine struct {
	cfg      firmwareconfig.Config
	opts     Options
	logger   *slog.Logger
	now      func() time.Time
	store    *boltstore.Store
	verifier *terminal.Verifier
	pipeline *terminal.Pipeline
	source   source.Source
	gate     terminal.Output
	replay   bool // the source replays files: every frame is decided, none dropped
	started  time.Time

	commitFailed atomic.Bool // the newest decision could not be logged

	upd   sync.Mutex // guards parts; one update is applied at a time
	parts trustParts

	updater *bundle.Updater // nil without a broker
	link    *mqttlink.Link  // nil without a broker

	mu         sync.Mutex // guards the fields below, and cfg's Venue, Dedupe and RetentionDays
	src        sourceState
	lastErr    string
	purged     int
	lastUpdate wire.Report // the outcome of the last update bundle
}

// sourceState is what the source is doing.
type sourceState string

const (
	sourceStarting sourceState = "starting"
	sourceRunning  sourceState = "running"
	sourceRetrying sourceState = "retrying"
	sourceFinished sourceState = "finished"
	sourceStopped  sourceState = "stopped"
)

// Open opens the store and builds the terminal opts.Config describes. It
// checks everything it can before Run: the config, the source URL, the
// gate spec, the trust files. A source whose device is missing is not an
// error here; Run keeps retrying it.
func Open(opts Options) (*Engine, error) {
	cfg := opts.Config.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("engine: %w: %w", ErrConfig, err)
	}
	e := &Engine{cfg: cfg, opts: opts, logger: opts.Logger, now: opts.Now, src: sourceStarting}
	if e.logger == nil {
		e.logger = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.started = e.now()
	g, err := gate.Parse(cfg.Gate)
	if err != nil {
		return nil, fmt.Errorf("engine: %w: %w", ErrConfig, err)
	}
	e.gate = g
	e.source, err = source.Open(cfg.Source, &source.Options{Now: e.now, Logger: e.logger, Stdin: opts.Stdin})
	if err != nil {
		return nil, fmt.Errorf("engine: %w: %w", ErrConfig, err)
	}
	e.replay = source.IsReplay(e.source)
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("engine: data directory: %w", err)
	}
	e.store, err = boltstore.Open(filepath.Join(cfg.Data, StoreFile), &boltstore.Options{
		Device: cfg.Device, Now: e.now, MaxBytes: int64(cfg.MaxStoreMB) << 20, NoSync: opts.NoSync, Logger: e.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	trust, err := e.loadTrust()
	if err != nil {
		e.store.Close()
		return nil, fmt.Errorf("engine: %w", err)
	}
	if err := e.remoteConfig(); err != nil {
		e.store.Close()
		return nil, fmt.Errorf("engine: %w", err)
	}
	cfg = e.cfg
	e.verifier = terminal.NewVerifier(trust, &terminal.Options{Now: e.now, Replays: e.store, Floor: e.store.Floor})
	outputs := append(slices.Clone(opts.Outputs), g, logOutput{e})
	e.pipeline = terminal.NewPipeline(terminal.PipelineConfig{
		Verifier: e.verifier, Decoder: newFrameDecoder(time.Duration(cfg.DecodeBudget), opts.Hints), Log: e.store,
		Outputs: outputs, Device: cfg.Device, Venue: cfg.Venue, SerialKey: e.store.SerialKey(),
		DedupeWindow: time.Duration(cfg.Dedupe), Now: e.now, Logger: e.logger,
	})
	if err := e.openLink(); err != nil {
		e.store.Close()
		return nil, fmt.Errorf("engine: %w", err)
	}
	return e, nil
}

// remoteConfig lays the settings of the config bundle in effect, if any,
// over the configuration: the administrator's latest word wins over the
// file and the flags.
func (e *Engine) remoteConfig() error {
	a := e.parts.applied[kindConfig]
	if a == nil {
		return nil
	}
	r, err := firmwareconfig.ParseRemote(a.Data)
	if err != nil {
		return fmt.Errorf("stored config bundle: %w", err)
	}
	e.cfg = e.cfg.WithRemote(r)
	return nil
}

// Config returns the configuration the engine runs, defaults and the
// config bundle in effect applied.
func (e *Engine) Config() firmwareconfig.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Pipeline returns the engine's pipeline, for Submit and Stats.
func (e *Engine) Pipeline() *terminal.Pipeline { return e.pipeline }

// Store returns the engine's store.
func (e *Engine) Store() *boltstore.Store { return e.store }

// Trust returns the trust data the engine verifies with now.
func (e *Engine) Trust() *terminal.Trust { return e.verifier.Trust() }

// TestGate opens the gate once, as a pass would, through the engine's own
// gate (a GPIO line can have one holder only): for staff setting a device
// up. Nothing is logged.
func (e *Engine) TestGate(ctx context.Context) error {
	d := &terminal.Decision{Verdict: terminal.Pass, Reason: terminal.OK, At: e.now()}
	return e.gate.Show(ctx, d, &terminal.Record{})
}

// Link returns the link to the hub, or nil when no broker is configured.
func (e *Engine) Link() *mqttlink.Link { return e.link }

// Run runs the source through the pipeline until the source is exhausted
// (a dir: source without loop) or ctx is done. A camera's frames are
// dropped while the decoder is busy (the latest frame wins); a dir:
// replay's wait for it, so that every file is decided. Either way Run
// returns nil once the decision under way is committed and shown. A source
// that fails is logged, reported by Health, and opened again after a
// backoff.
func (e *Engine) Run(ctx context.Context) error {
	purgeCtx, stopPurge := context.WithCancel(ctx)
	purgeDone := make(chan struct{})
	go func() {
		defer close(purgeDone)
		e.purgeLoop(purgeCtx)
	}()
	defer func() {
		stopPurge()
		<-purgeDone // a purge under way finishes before Close
	}()

	frames := make(chan terminal.Frame)
	// Texts queue while a commit runs, to share the next one: a scanner
	// fed a list (a batch check) is not held to one fsync a code.
	texts := make(chan terminal.Scan, maxBatch)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		// Not ctx: when the source stops, the frame already taken is
		// still decided, and the pipeline returns once frames is closed.
		if !e.replay {
			e.pipeline.Run(context.WithoutCancel(ctx), frames)
			return
		}
		for f := range frames {
			e.pipeline.Decide(context.WithoutCancel(ctx), f)
		}
	}()
	go func() {
		defer wg.Done()
		for t := range texts {
			e.pipeline.SubmitAll(context.WithoutCancel(ctx), queued(t, texts))
		}
	}()
	linkCtx, stopLink := context.WithCancel(context.WithoutCancel(ctx))
	linkDone := make(chan struct{})
	go func() {
		defer close(linkDone)
		if e.link != nil {
			e.link.Run(linkCtx)
		}
	}()
	src, stopTee := e.tee(frames)
	e.runSource(ctx, src, texts)
	stopTee()
	close(frames)
	close(texts)
	wg.Wait()
	stopLink() // after the last decision: it says offline once all is logged
	<-linkDone
	return nil
}

// tee returns the channel the source sends frames on: frames itself, or
// one whose frames are shown to Options.Frames on their way to it; and
// the function to call once the source has stopped sending.
func (e *Engine) tee(frames chan<- terminal.Frame) (chan<- terminal.Frame, func()) {
	if e.opts.Frames == nil {
		return frames, func() {}
	}
	in := make(chan terminal.Frame)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for f := range in {
			e.opts.Frames(f)
			frames <- f
		}
	}()
	return in, func() {
		close(in)
		<-done
	}
}

// maxBatch bounds the scanned texts that wait for a commit, and so the
// decisions that share one.
const maxBatch = 256

// queued returns first and the texts already waiting after it.
func queued(first terminal.Scan, texts <-chan terminal.Scan) []terminal.Scan {
	scans := []terminal.Scan{{Text: first.Text, At: first.At}}
	for len(scans) < maxBatch {
		select {
		case t, ok := <-texts:
			if !ok {
				return scans
			}
			scans = append(scans, terminal.Scan{Text: t.Text, At: t.At})
		default:
			return scans
		}
	}
	return scans
}

// runSource runs the source until it is exhausted or ctx is done,
// opening it again with backoff after each failure.
func (e *Engine) runSource(ctx context.Context, frames chan<- terminal.Frame, texts chan<- terminal.Scan) {
	first, most := e.opts.Backoff, e.opts.MaxBackoff
	if first <= 0 {
		first, most = DefaultBackoff, DefaultMaxBackoff
	}
	most = max(most, first)
	wait := first
	for retry := false; ; retry = true {
		// A retry counts as running once it has lasted retrySettle: a
		// source failing at every attempt must not make the health flap.
		ended := false // guarded by e.mu
		var settled *time.Timer
		if retry {
			settled = time.AfterFunc(retrySettle, func() {
				e.mu.Lock()
				defer e.mu.Unlock()
				if !ended {
					e.src = sourceRunning
				}
			})
		} else {
			e.setSource(sourceRunning, nil)
		}
		began := time.Now()
		err := e.source.Run(ctx, frames, texts)
		e.mu.Lock()
		ended = true
		e.mu.Unlock()
		if settled != nil {
			settled.Stop()
		}
		switch {
		case ctx.Err() != nil:
			e.setSource(sourceStopped, nil)
			return
		case err == nil:
			e.logger.Info("source finished", "source", e.cfg.Source)
			e.setSource(sourceFinished, nil)
			return
		}
		if time.Since(began) > most {
			wait = first // it ran well for a while: a new failure
		}
		e.logger.Error("source failed; the terminal keeps running and retries", "source", e.cfg.Source, "err", err, "retry_in", wait)
		e.setSource(sourceRetrying, err)
		select {
		case <-ctx.Done():
			e.setSource(sourceStopped, nil)
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, most)
	}
}

// retrySettle is how long a retried source must run before the health
// calls it running again.
const retrySettle = time.Second

func (e *Engine) setSource(s sourceState, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.src = s
	if err != nil {
		e.lastErr = err.Error()
	}
}

// purgeLoop purges acknowledged records older than the retention period
// at once and then every PurgeEvery, until ctx is done.
func (e *Engine) purgeLoop(ctx context.Context) {
	every := e.opts.PurgeEvery
	if every <= 0 {
		every = DefaultPurgeEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		e.purge()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Engine) purge() {
	cut := e.now().Add(-time.Duration(e.Config().RetentionDays) * 24 * time.Hour)
	n, err := e.store.Purge(cut)
	if err != nil {
		e.logger.Error("retention purge failed", "err", err)
		return
	}
	if n > 0 {
		e.logger.Info("purged acknowledged records past retention", "records", n, "older_than", cut)
		e.mu.Lock()
		e.purged += n
		e.mu.Unlock()
	}
}

// Close closes the store. Call it after Run has returned.
func (e *Engine) Close() error {
	if err := e.store.Close(); err != nil && !errors.Is(err, boltstore.ErrClosed) {
		return fmt.Errorf("engine: %w", err)
	}
	return nil
}

// logOutput logs each decision, without anything of the holder, and
// notes whether it was committed.
type logOutput struct{ e *Engine }

func (o logOutput) Show(_ context.Context, d *terminal.Decision, r *terminal.Record) error {
	o.e.commitFailed.Store(r.Seq == 0)
	if o.e.link != nil && r.Seq != 0 {
		o.e.link.Notify()
	}
	o.e.logger.Info("decision", "seq", r.Seq, "verdict", d.Verdict.String(), "reason", string(d.Reason),
		"format", r.Format, "issuer", r.Issuer, "latency", time.Duration(r.LatencyUS)*time.Microsecond)
	return nil
}
