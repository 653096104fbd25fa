package mqttlink

import (
	"net"
	"testing"
	"time"

	"github.com/fuscan/fuscan/sync/wire"
)

// checkDrained waits until the log's cursor reaches its head, then checks
// that the hub holds every record exactly as the log does.
func checkDrained(t *testing.T, h *hub, log interface {
	Acked() uint64
	Pending(uint64, int, int) ([][]byte, uint64, error)
}, n int) {
	t.Helper()
	eventually(t, "cursor at the head", func() bool { return log.Acked() == uint64(n) })
	recs, last, err := log.Pending(0, n+1, 1<<30)
	if err != nil || len(recs) != n || last != uint64(n) {
		t.Fatalf("log holds %d records to %d (%v), want %d", len(recs), last, err, n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.held) != n {
		t.Fatalf("hub holds %d records, want %d", len(h.held), n)
	}
	for i, r := range recs {
		if string(h.held[uint64(i+1)]) != string(r) {
			t.Fatalf("hub's record %d differs from the log's", i+1)
		}
	}
}

func TestDrain(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	log := openLog(t, 5000)
	l, _ := run(t, Options{Broker: b.url(), Log: log})
	checkDrained(t, h, log, 5000)
	// New records are sent as they come.
	appendRecords(t, log, 7)
	l.Notify()
	checkDrained(t, h, log, 5007)
	if st := l.State(); !st.Connected || st.AckedRecords != 5007 || st.HubHeld != 5007 || !st.HubSkewKnown {
		t.Errorf("State = %+v", st)
	}
	eventually(t, "a status with no backlog", func() bool {
		s := h.lastStatus()
		return s.Online && s.Device == "d1" && s.Acked == 5007
	})
}

// TestBrokerAbsentAtStart: the link retries until the broker comes up,
// then drains everything logged meanwhile.
func TestBrokerAbsentAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	log := openLog(t, 10_000)
	l, _ := run(t, Options{Broker: "tcp://" + addr, Log: log})
	eventually(t, "failed connection attempts", func() bool { return l.State().LastError != "" })
	if l.State().Connected {
		t.Fatal("connected without a broker")
	}
	b := startBroker(t, addr)
	h := newHub(t, b)
	checkDrained(t, h, log, 10_000)
}

// TestBrokerRestart: the broker goes away mid-drain and comes back on the
// same address; nothing is lost, and what was sent twice is held once.
func TestBrokerRestart(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	log := openLog(t, 20_000)
	run(t, Options{Broker: b.url(), Log: log, BatchRecords: 200})
	eventually(t, "some records drained", func() bool { return log.Acked() > 0 })
	b.stop()
	held := h.heldCount()
	b2 := startBroker(t, b.addr)
	h2 := newHub(t, b2)
	h2.held = h.held // the hub's store survives the broker
	checkDrained(t, h2, log, 20_000)
	if held >= 20_000 {
		t.Logf("the drain finished before the restart (held %d)", held)
	}
}

// TestConnectionCuts: a proxy cuts the connection at random points, many
// times; the log still reaches the hub whole.
func TestConnectionCuts(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	p := startProxy(t, b.addr)
	log := openLog(t, 20_000)
	run(t, Options{Broker: p.url(), Log: log, BatchRecords: 300, AckTimeout: time.Second})
	eventually(t, "10 cuts", func() bool { return p.cuts.Load() >= 10 })
	p.cutting.Store(false)
	checkDrained(t, h, log, 20_000)
	h.mu.Lock()
	defer h.mu.Unlock()
	t.Logf("%d cuts; %d records received for 20000 held", p.cuts.Load(), h.received)
}

// TestAckLost: a batch whose ack never comes is sent again after
// AckTimeout; the cursor never passes what the hub acknowledged.
func TestAckLost(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	h.silent = 1
	log := openLog(t, 3000)
	run(t, Options{Broker: b.url(), Log: log, BatchRecords: 1000, AckTimeout: 300 * time.Millisecond})
	checkDrained(t, h, log, 3000)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.received <= 3000 {
		t.Errorf("hub received %d records, want the unacknowledged batch again", h.received)
	}
}

// TestRefused: a batch the hub refuses holds the cursor; the link sends
// it again later and says so in its state.
func TestRefused(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	h.refuse = 2
	log := openLog(t, 1500)
	l, _ := run(t, Options{Broker: b.url(), Log: log, BatchRecords: 1000, AckTimeout: 200 * time.Millisecond})
	checkDrained(t, h, log, 1500)
	if st := l.State(); st.Refused != 2 {
		t.Errorf("Refused = %d, want 2", st.Refused)
	}
}

// TestStatusAndWill: the device says it is online; when its connection
// dies, the broker publishes its last will; when it stops, it says so.
func TestStatusAndWill(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	p := startProxy(t, b.addr)
	p.cutting.Store(false)
	log := openLog(t, 10)
	l, stop := run(t, Options{Broker: p.url(), Log: log, Status: func() wire.Status { return wire.Status{Venue: "v1", Backlog: 3} }})
	eventually(t, "online", func() bool { s := h.lastStatus(); return s.Online && s.Venue == "v1" })
	p.cutting.Store(true) // the next connection is cut too
	p.ln.Close()          // and no new one is accepted for now
	b.srv.Clients.GetAll()
	for _, cl := range b.srv.Clients.GetAll() {
		if cl.ID == "fuscan-"+tenant+"-d1" {
			cl.Stop(nil) // the TCP connection dies without a DISCONNECT
		}
	}
	eventually(t, "last will", func() bool { s := h.lastStatus(); return !s.Online && s.Reason == "lost" })
	eventually(t, "link down", func() bool { return !l.State().Connected && !l.State().OfflineSince.IsZero() })
	stop()
}

// TestStoppedStatus: a clean stop publishes the offline status.
func TestStoppedStatus(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	_, stop := run(t, Options{Broker: b.url(), Log: openLog(t, 1)})
	eventually(t, "online", func() bool { return h.lastStatus().Online })
	stop()
	eventually(t, "stopped", func() bool { s := h.lastStatus(); return !s.Online && s.Reason == "stopped" })
}

// TestUpdates: retained bundles on the device's update topics reach
// Update, and its reports reach the hub.
func TestUpdates(t *testing.T) {
	b := startBroker(t, "127.0.0.1:0")
	h := newHub(t, b)
	all, _ := wire.UpdateTopic(tenant, "all", "policy")
	mine, _ := wire.UpdateTopic(tenant, "device:d1", "trust")
	other, _ := wire.UpdateTopic(tenant, "device:d2", "trust")
	group, _ := wire.UpdateTopic(tenant, "group:north", "config")
	for _, tp := range []string{all, mine, other, group} {
		must(t, b.srv.Publish(tp, []byte(tp), true, 1))
	}
	got := make(chan string, 10)
	run(t, Options{Broker: b.url(), Log: openLog(t, 1), Group: "north", Update: func(topic string, data []byte) (wire.Report, bool) {
		got <- string(data)
		return wire.Report{Topic: topic, Outcome: wire.OutcomeApplied, Reason: "APPLIED"}, true
	}})
	seen := map[string]bool{}
	for len(seen) < 3 {
		select {
		case s := <-got:
			seen[s] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("updates received: %v, want %s, %s and %s", seen, all, mine, group)
		}
	}
	if seen[other] {
		t.Errorf("received another device's update")
	}
	eventually(t, "3 reports", func() bool { h.mu.Lock(); defer h.mu.Unlock(); return len(h.reports) == 3 })
}

func TestNewRefusesBadOptions(t *testing.T) {
	log := openLog(t, 0)
	for _, o := range []Options{
		{Tenant: "t", Device: "d", Log: log},
		{Broker: "tcp://x:1", Tenant: "a/b", Device: "d", Log: log},
		{Broker: "tcp://x:1", Tenant: "t", Device: "+", Log: log},
		{Broker: "tcp://x:1", Tenant: "t", Device: "d"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): got no error", o)
		}
	}
}
