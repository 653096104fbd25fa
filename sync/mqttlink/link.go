// Package mqttlink is a terminal's link to its hub over MQTT
// (docs/protocol.md): the uplink drains the scan log to the hub in batches
// and moves the log's outbox cursor only when the hub acknowledges that it
// has stored them; the retained status says how the device is, and its
// last will says when it went away; the downlink hands the signed update
// bundles the device receives to the caller.
//
// The outbox is the scan log itself, never the MQTT client's store:
// brokers drop messages silently past their queue limits, and paho marks
// the tokens of publishes in flight complete after a reconnect whether or
// not they arrived. So nothing here trusts a PUBACK or a token: a batch
// counts as delivered when the hub's ack for it arrives, and everything not
// acknowledged is sent again after a reconnect or a timeout. The hub
// ignores the records it already holds.
//
// # Caveats
//
// The session is clean: what the hub publishes while the device is away is
// lost, except the retained update bundles, which the broker delivers when
// the device subscribes again. Acks lost that way are made good by sending
// the batches again.
//
// Scanning never waits for the link: Run reads the log in its own
// goroutine, in read transactions that do not block commits.
package mqttlink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
)

// Log is the scan log as the uplink drains it.
type Log interface {
	// Pending returns the records after seq, oldest first, as the log
	// holds them: at most max records and about maxBytes of CBOR (at
	// least one record when there is one), and the seq of the last one.
	Pending(after uint64, max, maxBytes int) (records [][]byte, last uint64, err error)
	// Acked returns the outbox cursor: every record up to it is on the hub.
	Acked() uint64
	// Ack moves the outbox cursor to seq.
	Ack(seq uint64) error
}

// Defaults for the zero values of Options.
const (
	DefaultBatchRecords = 2000
	DefaultBatchBytes   = 1 << 20
	DefaultWindow       = 8
	DefaultAckTimeout   = 15 * time.Second
	DefaultBackoff      = time.Second
	DefaultMaxBackoff   = time.Minute
	DefaultStatusEvery  = 30 * time.Second
	DefaultPoll         = 2 * time.Second
)

// Options configures New. Broker, Tenant, Device and Log are required;
// the zero value of every other field is a working default.
type Options struct {
	// Broker is the broker's URL: tcp://HOST:1883, ssl://HOST:8883 (or
	// mqtts://), ws:// or wss://.
	Broker string
	// Tenant is the topic level under fuscan/v1/.
	Tenant string
	// Device is this terminal's id; Group its group, for group updates.
	Device, Group string
	// User and Password authenticate to the broker. Empty User: none.
	User, Password string
	// TLS configures ssl:// brokers. Nil: the system roots.
	TLS *tls.Config

	// Log is the scan log to drain.
	Log Log
	// Status returns what the device reports in its retained status;
	// the link fills in Online, Time, OfflineSince and the clock skew.
	// Nil: the counters of Log only.
	Status func() wire.Status
	// Update receives each update bundle on the device's update topics,
	// in its own goroutine, one at a time, and returns the report to
	// publish (ok false: nothing to report). Nil: updates are ignored.
	Update func(topic string, data []byte) (r wire.Report, ok bool)
	// Acked is told of every ack from the hub: Held is a second witness of
	// how far the log has come, Time a second opinion on the clock. Nil:
	// nothing.
	Acked func(a wire.Ack)

	// BatchRecords and BatchBytes bound one batch. Zero:
	// DefaultBatchRecords, DefaultBatchBytes; at most
	// wire.MaxBatchRecords and half wire.MaxBatchBytes.
	BatchRecords, BatchBytes int
	// Window is how many batches may wait for their ack. Zero:
	// DefaultWindow.
	Window int
	// AckTimeout is how long the oldest batch may wait for its ack before
	// everything unacknowledged is sent again. Zero: DefaultAckTimeout.
	AckTimeout time.Duration
	// Backoff is the first wait before connecting again; it doubles, with
	// jitter, up to MaxBackoff. Zero: DefaultBackoff, DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// StatusEvery is how often the status is published while connected.
	// Zero: DefaultStatusEvery.
	StatusEvery time.Duration
	// Poll is how often the log is looked at for new records when nobody
	// calls Notify. Zero: DefaultPoll.
	Poll time.Duration

	// Now is the device's clock. Nil: time.Now.
	Now func() time.Time
	// Logger receives connection changes and refused batches. Nil:
	// slog.Default().
	Logger *slog.Logger
}

// Link is a device's connection to its hub. Run it once.
type Link struct {
	opts   Options
	now    func() time.Time
	logger *slog.Logger

	wake    chan struct{} // Notify: new records, or sync now
	reports chan wire.Report

	mu      sync.Mutex
	state   State
	samples []sample // acknowledged records over the last rateWindow
}

// sample is a number of records acknowledged at an instant.
type sample struct {
	at time.Time
	n  int
}

// rateWindow is what DrainRate is computed over.
const rateWindow = 10 * time.Second

// rate adds n records acknowledged at now to the drain rate.
func (l *Link) rate(now time.Time, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.samples = append(l.samples, sample{now, n})
	l.prune(now)
}

// prune drops the samples older than rateWindow and computes DrainRate.
func (l *Link) prune(now time.Time) {
	for len(l.samples) > 0 && now.Sub(l.samples[0].at) > rateWindow {
		l.samples = l.samples[1:]
	}
	total := 0
	for _, s := range l.samples {
		total += s.n
	}
	l.state.DrainRate = float64(total) / rateWindow.Seconds()
}

// State is what the link is doing, for health and metrics.
type State struct {
	Connected bool
	// Since is when the link was last connected or lost.
	Since time.Time
	// OfflineSince is when the link was lost; zero while connected.
	OfflineSince time.Time
	LastError    string
	LastAck      time.Time // when the last ack arrived
	AckedRecords uint64    // records acknowledged since Run started
	InFlight     int       // batches waiting for their ack
	// DrainRate is records acknowledged a second over the last ten
	// seconds.
	DrainRate float64
	// HubSkew is the device's clock minus the hub's at the last ack
	// (half the round trip is within it); HubSkewKnown is false before
	// the first ack.
	HubSkew      time.Duration
	HubSkewKnown bool
	HubHeld      uint64 // the highest seq the hub said it holds
	Refused      uint64 // batches the hub refused
}

// ErrOptions is wrapped by New's errors.
var ErrOptions = errors.New("mqttlink: bad options")

// New returns a link configured by opts; Run connects it.
func New(opts Options) (*Link, error) {
	switch {
	case opts.Broker == "":
		return nil, fmt.Errorf("%w: no broker", ErrOptions)
	case !wire.ValidID(opts.Tenant):
		return nil, fmt.Errorf("%w: tenant %q", ErrOptions, opts.Tenant)
	case !wire.ValidID(opts.Device):
		return nil, fmt.Errorf("%w: device %q", ErrOptions, opts.Device)
	case opts.Group != "" && !wire.ValidID(opts.Group):
		return nil, fmt.Errorf("%w: group %q", ErrOptions, opts.Group)
	case opts.Log == nil:
		return nil, fmt.Errorf("%w: no log", ErrOptions)
	}
	o := opts
	o.BatchRecords = min(positive(o.BatchRecords, DefaultBatchRecords), wire.MaxBatchRecords)
	o.BatchBytes = min(positive(o.BatchBytes, DefaultBatchBytes), wire.MaxBatchBytes/2)
	o.Window = positive(o.Window, DefaultWindow)
	o.AckTimeout = positive(o.AckTimeout, DefaultAckTimeout)
	if o.Backoff <= 0 {
		o.Backoff, o.MaxBackoff = DefaultBackoff, DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Backoff)
	o.StatusEvery = positive(o.StatusEvery, DefaultStatusEvery)
	o.Poll = positive(o.Poll, DefaultPoll)
	l := &Link{opts: o, now: o.Now, logger: o.Logger, wake: make(chan struct{}, 1), reports: make(chan wire.Report, 64)}
	if l.now == nil {
		l.now = time.Now
	}
	if l.logger == nil {
		l.logger = slog.Default()
	}
	l.state.OfflineSince = l.now()
	return l, nil
}

func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Notify tells the link that the log has new records, or that an operator
// asked to sync now. It never blocks.
func (l *Link) Notify() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// State returns what the link is doing.
func (l *Link) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(l.now())
	return l.state
}

func (l *Link) setState(f func(s *State)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(&l.state)
}

// Run connects to the broker and keeps the link up, connecting again with
// jittered exponential backoff whenever it fails (from Backoff again after a
// connection that was up), until ctx is done. Then
// it publishes the offline status, disconnects and returns nil.
func (l *Link) Run(ctx context.Context) error {
	wait := l.opts.Backoff
	for ctx.Err() == nil {
		err := l.session(ctx)
		if ctx.Err() != nil {
			break
		}
		wasUp := false
		l.setState(func(s *State) {
			wasUp = s.Connected
			if s.Connected || s.OfflineSince.IsZero() {
				s.OfflineSince = l.now()
			}
			s.Connected, s.Since, s.InFlight, s.LastError = false, l.now(), 0, err.Error()
		})
		if wasUp {
			wait = l.opts.Backoff // the broker was there: a new failure, not the same one
		}
		jittered := wait/2 + rand.N(wait/2+1)
		l.logger.Warn("hub link down; connecting again", "broker", l.opts.Broker, "err", err, "retry_in", jittered.Round(time.Millisecond))
		select {
		case <-ctx.Done():
		case <-time.After(jittered):
		}
		wait = min(wait*2, l.opts.MaxBackoff)
	}
	return nil
}
