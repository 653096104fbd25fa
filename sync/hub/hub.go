package hub

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/fuscan/fuscan/sync/bundle"
	"github.com/fuscan/fuscan/sync/wire"
)

// DefaultTenant is the tenant of the topics, fuscan/v1/default/..., when
// Options.Tenant is empty.
const DefaultTenant = "default"

// ShareGroup is the shared-subscription group of hubs on an external
// broker: they subscribe to $share/fuscan-hub/fuscan/v1/{tenant}/dev/+/...
const ShareGroup = "fuscan-hub"

// Defaults for the zero values of Options.
const (
	// DefaultQueue is how many decoded messages wait for the committer.
	DefaultQueue = 32
	// MaxTxRecords bounds the records the committer gathers into one
	// transaction; it takes at least one whole batch.
	MaxTxRecords = 20000
)

// Options configures New. Store and, for Run, Broker are required.
type Options struct {
	// Store keeps what the hub ingests.
	Store Store
	// Tenant is the tenant of the topics. Empty: DefaultTenant.
	Tenant string

	// Broker is the MQTT broker's URL, as paho reads it: tcp://HOST:PORT,
	// or ssl://HOST:PORT for TLS.
	Broker string
	// Username and Password are the hub's login at the broker; empty for
	// none.
	Username, Password string
	// ClientID is the hub's MQTT client id. Empty: "fuscan-hub-" and
	// random hex, unique per start, as several hubs may share a broker.
	ClientID string
	// TLS configures ssl:// connections. Nil: the system's roots.
	TLS *tls.Config
	// Shared subscribes through $share/ShareGroup/, so that the hubs on
	// one broker share the devices' messages (see the package comment).
	// False: plain subscriptions, for a hub that is alone on its broker.
	Shared bool
	// FreshBroker says the broker started with the hub (the embedded
	// one): no device can be connected yet, so New marks every device
	// offline, reason "broker restarted". False: the devices keep
	// the state the store holds until their statuses arrive.
	FreshBroker bool

	// Roots are the keys that may sign the bundles POST /api/v1/bundles
	// takes. Nil: it refuses every bundle.
	Roots *bundle.Roots
	// Token is the API's bearer token. Empty: every API request is
	// refused.
	Token string

	// Now is the hub's clock: acks, last seen, report receipt. Nil:
	// time.Now.
	Now func() time.Time
	// Logger receives refusals, chain breaks and link events. Nil:
	// slog.Default().
	Logger *slog.Logger
	// Queue is how many decoded messages may wait for the committer
	// before the hub stops reading from the broker. Zero: DefaultQueue.
	Queue int
}

// Hub ingests the devices' scan batches, statuses and reports from a
// broker, and serves the fleet's state over HTTP.
type Hub struct {
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	queue chan *message
	quit  chan struct{}
	ready chan struct{}

	readyOnce sync.Once
	mu        sync.Mutex
	client    paho.Client // nil until Run

	stats struct {
		batches, refused, records, duplicates, breaks, statuses, reports, commits, storeErrors atomic.Uint64
	}
}

// New returns a hub; Run connects it to the broker.
func New(opts Options) (*Hub, error) {
	if opts.Store == nil {
		return nil, errors.New("hub: no store")
	}
	if opts.Tenant == "" {
		opts.Tenant = DefaultTenant
	}
	if !wire.ValidID(opts.Tenant) {
		return nil, fmt.Errorf("hub: tenant %q: want 1 to 64 of A-Z a-z 0-9 . _ -", opts.Tenant)
	}
	if opts.ClientID == "" {
		opts.ClientID = "fuscan-hub-" + randomHex(8)
	}
	h := &Hub{opts: opts, log: opts.Logger, now: opts.Now, quit: make(chan struct{}), ready: make(chan struct{})}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.queue = make(chan *message, cmp.Or(max(opts.Queue, 0), DefaultQueue))
	// Before the API can answer: a device the store shows online from
	// before the restart is not.
	if opts.FreshBroker {
		if err := h.allOffline(); err != nil {
			return nil, fmt.Errorf("hub: %w", err)
		}
	}
	return h, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Tenant returns the tenant of the hub's topics.
func (h *Hub) Tenant() string { return h.opts.Tenant }

// Ready is closed once the hub has subscribed for the first time.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Stats are the hub's counters since New.
type Stats struct {
	Batches    uint64 // scan batches accepted (acked without error)
	Refused    uint64 // scan batches refused
	Records    uint64 // records stored
	Duplicates uint64 // records received again, not stored again
	Breaks     uint64 // chain breaks found
	Statuses   uint64
	Reports    uint64
	Commits    uint64 // transactions committed
	// StoreErrors counts transactions that failed: their messages were
	// not acknowledged, so the devices send them again.
	StoreErrors uint64
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	s := &h.stats
	return Stats{Batches: s.batches.Load(), Refused: s.refused.Load(), Records: s.records.Load(),
		Duplicates: s.duplicates.Load(), Breaks: s.breaks.Load(), Statuses: s.statuses.Load(),
		Reports: s.reports.Load(), Commits: s.commits.Load(), StoreErrors: s.storeErrors.Load()}
}

// Run connects to the broker, reconnecting with backoff whenever the link
// drops, and ingests until ctx is done; then it disconnects, commits what
// it decoded and returns. Run once per Hub.
func (h *Hub) Run(ctx context.Context) error {
	if h.opts.Broker == "" {
		return errors.New("hub: no broker URL")
	}
	o := paho.NewClientOptions().AddBroker(h.opts.Broker).SetClientID(h.opts.ClientID).
		SetUsername(h.opts.Username).SetPassword(h.opts.Password).SetTLSConfig(h.opts.TLS).
		// A clean session: subscriptions are made again in onConnect, and
		// nothing correct depends on what the broker kept for the hub.
		SetCleanSession(true).SetResumeSubs(false).
		// In order: a device's batches are decoded in the order they came.
		SetOrderMatters(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(30 * time.Second).
		SetKeepAlive(30 * time.Second).SetPingTimeout(10 * time.Second).
		SetConnectTimeout(10 * time.Second).SetWriteTimeout(30 * time.Second).
		SetDefaultPublishHandler(h.onMessage).
		SetOnConnectHandler(h.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			h.log.Warn("broker link lost; reconnecting", "broker", h.opts.Broker, "err", err)
		})
	c := paho.NewClient(o)
	h.mu.Lock()
	h.client = c
	h.mu.Unlock()

	committed := make(chan struct{})
	go func() {
		defer close(committed)
		h.commitLoop()
	}()
	h.connect(ctx, c)
	<-ctx.Done()
	c.Disconnect(250)
	close(h.quit)
	<-committed
	return nil
}

// connect makes the first connection, retrying with backoff until it
// succeeds or ctx is done; paho reconnects by itself after that.
func (h *Hub) connect(ctx context.Context, c paho.Client) {
	wait := 250 * time.Millisecond
	for {
		tok := c.Connect()
		select {
		case <-tok.Done():
		case <-ctx.Done():
			return
		}
		if tok.Error() == nil {
			return
		}
		h.log.Warn("cannot connect to the broker; retrying", "broker", h.opts.Broker, "err", tok.Error(), "in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// filters returns the hub's subscriptions.
func (h *Hub) filters() map[string]byte {
	f := map[string]byte{}
	for _, leaf := range []string{wire.LeafScans, wire.LeafStatus, wire.LeafReports} {
		filter := wire.DeviceFilter(h.opts.Tenant, leaf)
		if h.opts.Shared {
			filter = "$share/" + ShareGroup + "/" + filter
		}
		f[filter] = 1
	}
	return f
}

// onConnect subscribes (the session is clean) and publishes the retained
// bundles again, in case the broker lost them. paho runs it in its own
// goroutine.
func (h *Hub) onConnect(c paho.Client) {
	tok := c.SubscribeMultiple(h.filters(), nil)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		h.log.Error("subscribing failed; the hub receives nothing until the next connection", "err", tok.Error())
		return
	}
	for filter, code := range tok.(*paho.SubscribeToken).Result() {
		if code > 2 {
			h.log.Error("the broker refused a subscription: check the hub's ACL at the broker", "filter", filter, "code", code)
			return
		}
	}
	h.log.Info("connected to the broker", "broker", h.opts.Broker, "tenant", h.opts.Tenant, "shared", h.opts.Shared)
	if err := h.republish(); err != nil {
		h.log.Error("publishing the retained bundles again", "err", err)
	}
	h.readyOnce.Do(func() { close(h.ready) })
}

// onMessage decodes a device message and hands it to the committer,
// waiting while the committer is busy: the broker then holds the messages
// that follow.
func (h *Hub) onMessage(_ paho.Client, msg paho.Message) {
	tenant, device, leaf, err := wire.ParseDeviceTopic(msg.Topic())
	if err != nil || tenant != h.opts.Tenant {
		h.log.Debug("message on a topic that is not the hub's", "topic", msg.Topic())
		return
	}
	at := h.now()
	var m *message
	switch leaf {
	case wire.LeafScans:
		m = decodeScans(device, msg.Payload())
	case wire.LeafStatus, wire.LeafReports:
		if len(msg.Payload()) == 0 {
			return // a retained status cleared
		}
		m = decodeJSON(device, leaf, msg.Payload())
	default:
		return
	}
	m.at, m.retained = at, msg.Retained()
	select {
	case h.queue <- m:
	case <-h.quit:
	}
}

// commitLoop commits the queued messages until the hub stops, gathering
// those that wait into one transaction.
func (h *Hub) commitLoop() {
	for {
		select {
		case m := <-h.queue:
			h.commit(h.gather(m))
		case <-h.quit:
			for {
				select {
				case m := <-h.queue:
					h.commit(h.gather(m))
				default:
					return
				}
			}
		}
	}
}

// gather returns first and the messages queued behind it, up to the
// queue's length and MaxTxRecords records.
func (h *Hub) gather(first *message) []*message {
	ms, n := []*message{first}, len(first.records)
	for len(ms) < cap(h.queue) && n < MaxTxRecords {
		select {
		case m := <-h.queue:
			ms, n = append(ms, m), n+len(m.records)
		default:
			return ms
		}
	}
	return ms
}

// commit applies ms in one transaction and, once it is durable, publishes
// the acks. When the transaction fails, nothing is acknowledged: the
// devices send their batches again.
func (h *Hub) commit(ms []*message) {
	var a *apply
	err := h.opts.Store.Update(func(tx Tx) error {
		a = &apply{tx: tx, now: h.now(), devices: map[string]*Device{}}
		for _, m := range ms {
			if err := a.message(m); err != nil {
				return err
			}
		}
		for _, d := range a.devices {
			if err := tx.PutDevice(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.stats.storeErrors.Add(1)
		h.log.Error("store: transaction failed; its messages are not acknowledged, devices will send them again",
			"messages", len(ms), "err", err)
		return
	}
	for _, w := range a.warnings {
		h.log.Warn(w.msg, w.args...)
	}
	s, t := &h.stats, a.tally
	s.commits.Add(1)
	s.batches.Add(t.batches)
	s.refused.Add(t.refused)
	s.records.Add(t.records)
	s.duplicates.Add(t.duplicates)
	s.breaks.Add(t.breaks)
	s.statuses.Add(t.statuses)
	s.reports.Add(t.reports)
	for _, o := range a.out {
		h.publish(wire.DeviceTopic(h.opts.Tenant, o.device, wire.LeafAck), false, wire.Encode(o.ack))
	}
}

// publish publishes at QoS 1 and returns paho's token, or nil before Run.
// The token is for reports only: a completed token proves nothing.
func (h *Hub) publish(topic string, retained bool, payload []byte) paho.Token {
	h.mu.Lock()
	c := h.client
	h.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.Publish(topic, 1, retained, payload)
}

// republish publishes every retained bundle the store holds.
func (h *Hub) republish() error {
	all, err := view(h.opts.Store, Tx.RetainedAll)
	if err != nil {
		return err
	}
	for _, b := range all {
		h.publish(b.Topic, true, b.Data)
	}
	return nil
}

// allOffline marks every device offline that the store shows online.
func (h *Hub) allOffline() error {
	now := h.now()
	return h.opts.Store.Update(func(tx Tx) error {
		devices, err := tx.Devices()
		if err != nil {
			return err
		}
		for _, d := range devices {
			if d.Online {
				d.Online, d.OfflineSince, d.OfflineReason = false, now, "broker restarted"
				if err := tx.PutDevice(d); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
