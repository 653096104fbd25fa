package mqttlink

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
)

const tenant = "t1"

var quiet = slog.New(slog.DiscardHandler)

// broker is an embedded mochi broker on loopback.
type broker struct {
	srv  *mochi.Server
	addr string
	once sync.Once
}

// stop closes the broker; later calls do nothing.
func (b *broker) stop() { b.once.Do(func() { b.srv.Close() }) }

// startBroker starts a broker on addr ("127.0.0.1:0" for any port).
func startBroker(t testing.TB, addr string) *broker {
	t.Helper()
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: quiet})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})
	if err := srv.AddListener(tcp); err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	b := &broker{srv: srv, addr: tcp.Address()}
	t.Cleanup(b.stop)
	return b
}

func (b *broker) url() string { return "tcp://" + b.addr }

// hub is a hand-written test hub on a broker: it keeps the records of each
// batch by seq and acks them, unless told to refuse or stay silent.
type hub struct {
	b *broker

	mu       sync.Mutex
	held     map[uint64][]byte // seq → record
	received int               // records received, repeats included
	batches  int
	silent   int // acks still to leave out
	refuse   int // batches still to refuse
	statuses []wire.Status
	reports  []wire.Report

	acks chan wire.Ack // to publish, outside the broker's goroutine
}

func newHub(t testing.TB, b *broker) *hub {
	t.Helper()
	h := &hub{b: b, held: map[uint64][]byte{}, acks: make(chan wire.Ack, 1024)}
	must(t, b.srv.Subscribe(wire.DeviceFilter(tenant, wire.LeafScans), 1, h.onScans))
	must(t, b.srv.Subscribe(wire.DeviceFilter(tenant, wire.LeafStatus), 2, h.onStatus))
	must(t, b.srv.Subscribe(wire.DeviceFilter(tenant, wire.LeafReports), 3, h.onReport))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case a := <-h.acks:
				h.b.srv.Publish(wire.DeviceTopic(tenant, "d1", wire.LeafAck), wire.Encode(a), false, 1)
			}
		}
	}()
	return h
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (h *hub) onScans(_ *mochi.Client, _ packets.Subscription, pk packets.Packet) {
	b, err := wire.DecodeBatch(pk.Payload)
	if err != nil {
		panic(err)
	}
	recs, err := b.DecodeRecords()
	if err != nil {
		panic(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.batches++
	a := wire.Ack{First: recs[0].Seq, Last: recs[len(recs)-1].Seq, Time: time.Now()}
	switch {
	case h.refuse > 0:
		h.refuse--
		a.Error = "refused by the test"
	default:
		for i, r := range recs {
			h.held[r.Seq] = b.Records[i]
		}
		h.received += len(recs)
		if h.silent > 0 {
			h.silent--
			return
		}
	}
	a.Held = h.maxHeld()
	h.acks <- a
}

func (h *hub) maxHeld() uint64 {
	var m uint64
	for s := range h.held {
		m = max(m, s)
	}
	return m
}

func (h *hub) onStatus(_ *mochi.Client, _ packets.Subscription, pk packets.Packet) {
	var s wire.Status
	if err := wire.Decode(pk.Payload, &s); err != nil {
		panic(err)
	}
	h.mu.Lock()
	h.statuses = append(h.statuses, s)
	h.mu.Unlock()
	if s.Online {
		h.acks <- wire.Ack{Held: h.heldCount(), Time: time.Now()}
	}
}

func (h *hub) onReport(_ *mochi.Client, _ packets.Subscription, pk packets.Packet) {
	var r wire.Report
	if err := wire.Decode(pk.Payload, &r); err != nil {
		panic(err)
	}
	h.mu.Lock()
	h.reports = append(h.reports, r)
	h.mu.Unlock()
}

func (h *hub) heldCount() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return uint64(len(h.held))
}

func (h *hub) lastStatus() wire.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.statuses) == 0 {
		return wire.Status{}
	}
	return h.statuses[len(h.statuses)-1]
}

// openLog returns a real store holding n records of device d1.
func openLog(t testing.TB, n int) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "terminal.db"), &boltstore.Options{Device: "d1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	appendRecords(t, s, n)
	return s
}

func appendRecords(t testing.TB, s *boltstore.Store, n int) {
	t.Helper()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for done := 0; done < n; {
		var recs []*terminal.Record
		for i := 0; i < min(500, n-done); i++ {
			recs = append(recs, &terminal.Record{Device: "d1", Venue: "v1", TimeUS: at.UnixMicro(), ClockOK: true,
				Format: "card", Issuer: "350000", Verdict: "pass", Reason: terminal.OK, Color: "green", Name: "张*", IDTail: "1234"})
		}
		if err := s.Append(recs...); err != nil {
			t.Fatal(err)
		}
		done += len(recs)
	}
}

// run starts a link with opts (Broker and Log set by the test) and
// returns a function that stops it and waits for Run to return.
func run(t testing.TB, opts Options) (*Link, func()) {
	t.Helper()
	opts.Tenant, opts.Device = tenant, "d1"
	opts.Logger = quiet
	if opts.Backoff == 0 {
		opts.Backoff, opts.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	}
	if opts.Poll == 0 {
		opts.Poll = 20 * time.Millisecond
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	t.Cleanup(stop)
	return l, stop
}

// eventually polls cond until it holds or 30 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached in 30 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proxy is a loopback TCP proxy that cuts every connection after a random
// number of bytes, in either direction, while cutting is on.
type proxy struct {
	ln      net.Listener
	target  string
	cutting atomic.Bool
	cuts    atomic.Int64
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.cutting.Store(true)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *proxy) url() string { return "tcp://" + p.ln.Addr().String() }

func (p *proxy) serve(c net.Conn) {
	defer c.Close()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	budget := int64(-1)
	if p.cutting.Load() {
		budget = 200 + rand.Int64N(60_000)
	}
	var left atomic.Int64
	left.Store(budget)
	copyCut := func(dst, src net.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if budget >= 0 && left.Add(-int64(n)) < 0 {
					p.cuts.Add(1)
					dst.Close()
					src.Close()
					return
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					dst.Close()
				}
				return
			}
		}
	}
	go copyCut(up, c)
	copyCut(c, up)
}
