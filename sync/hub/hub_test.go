package hub_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/klauspost/compress/zlib"

	"github.com/fuscan/fuscan/sync/broker"
	"github.com/fuscan/fuscan/sync/hub"
	"github.com/fuscan/fuscan/sync/hub/hubtest"
	"github.com/fuscan/fuscan/sync/wire"
	"github.com/fuscan/fuscan/terminal"
	"github.com/fuscan/fuscan/terminal/boltstore"
	"github.com/fuscan/fuscan/terminal/cose"
)

// TestIngestIdempotent: a batch received twice is stored once and
// acknowledged twice, each time after the commit.
func TestIngestIdempotent(t *testing.T) {
	e := embedded(t, settings{})
	d, log, recs := sendTwice(t, e, 100)
	if s := e.hub.Stats(); s.Records != 100 || s.Duplicates != 100 || s.Batches != 2 {
		t.Errorf("stats %+v, want 100 records stored, 100 duplicates, 2 batches", s)
	}
	// The records are kept as they were sent: the bytes the chain covers.
	e.store.View(func(tx hub.Tx) error {
		raw, err := tx.Record("d1", 42)
		want, _ := cose.EncMode.Marshal(recs[41])
		if err != nil || !bytes.Equal(raw, want) {
			t.Errorf("record 42 held as %x (%v), want %x", raw, err, want)
		}
		return nil
	})
	// A batch that overlaps: only the new records are stored.
	more := log.Next(50)
	if a := send(t, d, append(recs[90:], more...)); a.First != 91 || a.Last != 150 || a.Held != 150 {
		t.Errorf("overlapping batch: ack %+v, want 91..150 held 150", a)
	}
	if got := e.devices(t)["d1"]; got.Records != 150 || !got.ChainOK {
		t.Errorf("after the overlap: %d records, chain ok %v; want 150, true", got.Records, got.ChainOK)
	}
}

// sendTwice connects device d1 and sends it the same batch of n records
// twice: both are acknowledged alike, the records stored once.
func sendTwice(t *testing.T, e *env, n int) (*hubtest.Device, *hubtest.Log, []*terminal.Record) {
	t.Helper()
	d := e.connect(t, "d1", "north")
	log := hubtest.NewLog("d1", "venue-d1")
	recs := log.Next(n)
	want := wire.Ack{First: 1, Last: uint64(n), Held: uint64(n), Time: t0}
	for range 2 {
		if a := send(t, d, recs); a != want {
			t.Errorf("ack %+v, want %+v", a, want)
		}
	}
	got := e.devices(t)["d1"]
	if got.Records != uint64(n) || got.MaxSeq != uint64(n) || !got.ChainOK || len(got.Gaps) != 0 || got.Errors != 0 || !got.Online || got.Group != "north" {
		t.Errorf("device %+v, want %d records, chain ok, no gaps, online in group north", got, n)
	}
	return d, log, recs
}

// tamper changes a record's content without its hash, as an editor of
// the device's file would.
func tamper(r *terminal.Record) *terminal.Record {
	c := *r
	c.Verdict, c.Reason = "pass", terminal.OK
	c.Venue += "-edited"
	return &c
}

// rehash changes a record's content and hashes it again: a log rewritten
// from that record on.
func rehash(r *terminal.Record) *terminal.Record {
	c := tamper(r)
	c.Hash = terminal.ChainHash(c.PrevHash, c)
	return c
}

// TestGapsAndBreaks: gaps and chain breaks are found, kept and shown,
// never repaired.
func TestGapsAndBreaks(t *testing.T) {
	e := embedded(t, settings{})
	type want struct {
		gaps   hub.Ranges
		breaks []hub.Break
	}
	brk := func(seq uint64, reason string) hub.Break { return hub.Break{Seq: seq, Reason: reason, At: t0} }
	cases := []struct {
		name    string
		batches func(a, b *hubtest.Log) [][]*terminal.Record // a and b: two different logs of the device
		want    want
	}{{
		name: "a gap, then filled",
		batches: func(a, _ *hubtest.Log) [][]*terminal.Record {
			r := a.Next(30)
			return [][]*terminal.Record{r[:10], r[20:], r[10:20]}
		},
		want: want{gaps: hub.Ranges{}},
	}, {
		name: "a gap left",
		batches: func(a, _ *hubtest.Log) [][]*terminal.Record {
			r := a.Next(30)
			return [][]*terminal.Record{r[:10], r[20:]}
		},
		want: want{gaps: hub.Ranges{{11, 20}}},
	}, {
		name: "a record changed",
		batches: func(a, _ *hubtest.Log) [][]*terminal.Record {
			r := a.Next(10)
			r[4] = tamper(r[4])
			return [][]*terminal.Record{r}
		},
		want: want{gaps: hub.Ranges{}, breaks: []hub.Break{brk(5, "hash does not match its content")}},
	}, {
		name: "a record removed",
		batches: func(a, _ *hubtest.Log) [][]*terminal.Record {
			r := a.Next(10)
			return [][]*terminal.Record{append(r[:4:4], r[5:]...)}
		},
		want: want{gaps: hub.Ranges{{5, 5}}},
	}, {
		name: "the log rewritten from record 5",
		batches: func(a, _ *hubtest.Log) [][]*terminal.Record {
			r := a.Next(10)
			r[4] = rehash(r[4])
			return [][]*terminal.Record{r}
		},
		want: want{gaps: hub.Ranges{}, breaks: []hub.Break{brk(6, "does not link to record 5")}},
	}, {
		name: "a batch of another log after a batch",
		batches: func(a, b *hubtest.Log) [][]*terminal.Record {
			b.Next(10)
			return [][]*terminal.Record{a.Next(10), b.Next(10)}
		},
		want: want{gaps: hub.Ranges{}, breaks: []hub.Break{brk(11, "does not link to record 10")}},
	}, {
		name: "a gap filled by another log: both sides break",
		batches: func(a, b *hubtest.Log) [][]*terminal.Record {
			r := a.Next(30)
			b.Next(10)
			return [][]*terminal.Record{r[:10], r[20:], b.Next(10)}
		},
		want: want{gaps: hub.Ranges{}, breaks: []hub.Break{brk(11, "does not link to record 10"), brk(21, "does not link to record 20")}},
	}, {
		name: "a first record that does not start a chain",
		batches: func(_, b *hubtest.Log) [][]*terminal.Record {
			r := b.Next(3)
			r[0].PrevHash = bytes.Repeat([]byte{1}, 32)
			r[0].Hash = terminal.ChainHash(r[0].PrevHash, r[0])
			r[1].PrevHash = r[0].Hash
			r[1].Hash = terminal.ChainHash(r[1].PrevHash, r[1])
			r[2].PrevHash = r[1].Hash
			r[2].Hash = terminal.ChainHash(r[2].PrevHash, r[2])
			return [][]*terminal.Record{r}
		},
		want: want{gaps: hub.Ranges{}, breaks: []hub.Break{brk(1, "the first record does not start a chain")}},
	}, {
		name: "a seq sent again with other content",
		batches: func(a, _ *hubtest.Log) [][]*terminal.Record {
			r := a.Next(10)
			return [][]*terminal.Record{r, {rehash(r[4])}}
		},
		want: want{gaps: hub.Ranges{}, breaks: []hub.Break{brk(5, "received again with other content; the first one is kept")}},
	}}
	for i, c := range cases {
		id := fmt.Sprintf("d%d", i)
		d := e.connect(t, id, "")
		a, b := hubtest.NewLog(id, "venue-"+id), hubtest.NewLog(id, "elsewhere")
		for _, recs := range c.batches(a, b) {
			if ack := send(t, d, recs); ack.Error != "" || ack.Last != recs[len(recs)-1].Seq {
				t.Errorf("%s: ack %+v, want the batch accepted", c.name, ack)
			}
		}
		got := e.devices(t)[id]
		if !reflect.DeepEqual(got.Gaps, c.want.gaps) {
			t.Errorf("%s: gaps %v, want %v", c.name, got.Gaps, c.want.gaps)
		}
		if !reflect.DeepEqual(got.Breaks, c.want.breaks) || got.ChainOK != (len(c.want.breaks) == 0) || got.BreakCount != uint64(len(c.want.breaks)) {
			t.Errorf("%s: breaks %+v (chain ok %v, %d), want %+v", c.name, got.Breaks, got.ChainOK, got.BreakCount, c.want.breaks)
		}
	}
	// A record sent again with other content: the first one is kept.
	var page struct{ Scans []hub.Scan }
	e.get(t, fmt.Sprintf("/api/v1/scans?device=d%d&venue=venue-d%d", len(cases)-1, len(cases)-1), &page)
	if len(page.Scans) != 10 {
		t.Errorf("the device whose record 5 came again: %d scans of its venue, want 10", len(page.Scans))
	}
	// The API's JSON, as a third party reads it.
	var raw struct {
		Devices []map[string]json.RawMessage `json:"devices"`
	}
	e.get(t, "/api/v1/devices", &raw)
	for _, d := range raw.Devices {
		if string(d["device"]) == `"d1"` && string(d["gaps"]) != "[[11,20]]" {
			t.Errorf("d1's gaps as JSON: %s, want [[11,20]]", d["gaps"])
		}
		for _, field := range []string{"device", "venue", "group", "online", "last_seen", "records", "max_seq", "gaps", "chain_ok", "versions"} {
			if _, ok := d[field]; !ok {
				t.Errorf("device %s has no %q field", d["device"], field)
			}
		}
	}
	if !strings.Contains(e.log.String(), "chain break") {
		t.Error("the hub did not log the breaks")
	}
}

func deflate(data []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

// TestHostileBatches: every bad batch gets an error ack, nothing of it is
// stored, the device's state counts it, and the hub goes on.
func TestHostileBatches(t *testing.T) {
	e := embedded(t, settings{})
	d := e.connect(t, "d1", "")
	log := hubtest.NewLog("d1", "v")
	send(t, d, log.Next(10))
	next := log.Next(5) // seqs 11..15
	raw := hubtest.Raw(t, next)
	other := hubtest.Raw(t, hubtest.NewLog("d2", "v").Next(5))
	envelope := func(device string, records ...cbor.RawMessage) []byte {
		b, err := cose.EncMode.Marshal(map[string]any{"v": 1, "device": device, "records": records})
		if err != nil {
			t.Fatal(err)
		}
		return deflate(b)
	}
	noise := make([]byte, hub.MaxScansMessage+1)
	rand.Read(noise)
	cases := []struct {
		name        string
		data        []byte
		first, last uint64
		want        string
	}{
		{"not zlib", []byte("hello"), 0, 0, "zlib"},
		{"zip bomb", deflate(make([]byte, 32<<20)), 0, 0, "inflates past"},
		{"oversized", noise, 0, 0, "over"},
		{"not CBOR", deflate([]byte("{not cbor")), 0, 0, "bad batch"},
		{"a batch of d2 on d1's topic", envelope("d2", other...), 0, 0, `batch of device "d2"`},
		{"d2's records in d1's batch", envelope("d1", other...), 0, 0, `device "d2"`},
		{"records out of order", envelope("d1", raw[2], raw[1]), 0, 0, "after"},
		{"a record that is not one", envelope("d1", raw[0], cbor.RawMessage{0x01}), 0, 0, "record 1"},
	}
	for i, c := range cases {
		a := sendRaw(t, d, c.data)
		if a.Error == "" || !strings.Contains(a.Error, c.want) || a.First != c.first || a.Last != c.last || a.Held != 10 || !a.Time.Equal(t0) {
			t.Errorf("%s: ack %+v, want an error with %q, held 10", c.name, a, c.want)
		}
		got := e.devices(t)["d1"]
		if got.Records != 10 || got.Errors != uint64(i+1) || got.LastError != a.Error {
			t.Errorf("%s: device holds %d records, %d errors, last %q; want 10, %d, the ack's", c.name, got.Records, got.Errors, got.LastError, i+1)
		}
	}
	// The hub is still there, and takes the good batch.
	if a := send(t, d, next); a.Error != "" || a.Held != 15 {
		t.Errorf("good batch after the bad ones: %+v", a)
	}
	if s := e.hub.Stats(); s.Refused != uint64(len(cases)) || s.Records != 15 {
		t.Errorf("stats %+v, want %d refused and 15 records", s, len(cases))
	}
	if !strings.Contains(e.log.String(), "message refused") {
		t.Error("the hub did not log the refusals")
	}
	// The scans of another device on d1's topic are not there either.
	var page struct{ Scans []hub.Scan }
	e.get(t, "/api/v1/scans?device=d2", &page)
	if len(page.Scans) != 0 {
		t.Errorf("d2 has %d scans, want none", len(page.Scans))
	}
}

// TestForeignTopic: a device publishing on another device's topic is cut
// off by the broker's ACL; the hub never sees the message.
func TestForeignTopic(t *testing.T) {
	e := embedded(t, settings{})
	d1 := e.connect(t, "d1", "")
	e.connect(t, "d2", "")
	d1.PublishTo(wire.DeviceTopic(tenant, "d2", wire.LeafScans), hubtest.Batch(t, "d2", hubtest.NewLog("d2", "v").Next(5)))
	if !d1.Disconnected(10 * time.Second) {
		t.Fatal("d1 is still connected")
	}
	time.Sleep(100 * time.Millisecond)
	if got := e.devices(t)["d2"]; got.Records != 0 || got.Errors != 0 {
		t.Errorf("d2 holds %d records, %d errors; want none", got.Records, got.Errors)
	}
	if s := e.hub.Stats(); s.Batches+s.Refused != 0 {
		t.Errorf("the hub saw %d batches", s.Batches+s.Refused)
	}
}

// TestFleetStatus: online from the status, offline from the last will
// and from a clean stop, and what the status says.
func TestFleetStatus(t *testing.T) {
	e := embedded(t, settings{})
	status := &wire.Status{Online: true, Device: "d1", Venue: "gate-hall", Group: "north", Backlog: 42, LastSeq: 50, Acked: 8,
		Versions: map[string]wire.Applied{"policy": {Version: 3}, "trust": {Version: 7}}, Clock: "ok"}
	opts := e.options(t, "d1", "north")
	opts.Status = status
	d := hubtest.Connect(t, opts)
	if a := ack(t, d); a.Held != 0 || a.Last != 0 {
		t.Errorf("greeting %+v, want held 0", a)
	}
	if a := send(t, d, hubtest.NewLog("d1", "gate-hall").Next(8)); a.Last != 8 {
		t.Errorf("ack %+v, want 1..8", a)
	}
	got := e.devices(t)["d1"]
	if !got.Online || got.Venue != "gate-hall" || got.Group != "north" || got.Backlog != 42 || !got.LastSeen.Equal(t0) ||
		got.Versions["policy"].Version != 3 || got.Versions["trust"].Version != 7 || got.Status == nil || got.Status.LastSeq != 50 {
		t.Errorf("online device %+v", got)
	}

	d.Kill() // the last will
	eventually(t, "d1 offline after its will", func() bool { return !e.devices(t)["d1"].Online })
	got = e.devices(t)["d1"]
	if got.OfflineReason != "lost" || !got.OfflineSince.Equal(t0) || got.Records != 8 {
		t.Errorf("after the will: %+v", got)
	}

	d = hubtest.Connect(t, opts)
	if a := ack(t, d); a.Held != 8 || a.First != 0 {
		t.Errorf("greeting after reconnecting: %+v, want held 8", a)
	}
	if got := e.devices(t)["d1"]; !got.Online || !got.OfflineSince.IsZero() {
		t.Errorf("back online: %+v", got)
	}
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "d1 offline after stopping", func() bool { return !e.devices(t)["d1"].Online })
	if got := e.devices(t)["d1"]; got.OfflineReason != "stopped" {
		t.Errorf("after a stop: reason %q, want stopped", got.OfflineReason)
	}
}

// TestReports: a device's update outcomes are stored and served.
func TestReports(t *testing.T) {
	e := embedded(t, settings{})
	d := e.connect(t, "d1", "")
	e.connect(t, "d2", "")
	rep := wire.Report{Time: t0.Add(-time.Minute), Topic: "fuscan/v1/t1/updates/policy", Kind: "policy", Version: 4, Target: "all",
		Outcome: wire.OutcomeRejected, Reason: "SIG_INVALID", Detail: "bad signature"}
	if err := d.Publish(wire.LeafReports, wire.Encode(rep)); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(wire.LeafReports, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	var got struct{ Reports []*hub.Report }
	eventually(t, "the report is served", func() bool {
		e.get(t, "/api/v1/reports?device=d1", &got)
		return len(got.Reports) == 1 && e.devices(t)["d1"].Errors == 1
	})
	want := &hub.Report{Device: "d1", Received: t0, Report: rep}
	if r := got.Reports[0]; r.Device != want.Device || !r.Received.Equal(t0) || r.Reason != rep.Reason || r.Version != 4 || !r.Time.Equal(rep.Time) {
		t.Errorf("report %+v, want %+v", r, want)
	}
	e.get(t, "/api/v1/reports", &got)
	if len(got.Reports) != 1 {
		t.Errorf("all devices' reports: %d, want 1", len(got.Reports))
	}
	e.get(t, "/api/v1/reports?device=d2", &got)
	if len(got.Reports) != 0 {
		t.Errorf("d2's reports: %d, want 0", len(got.Reports))
	}
}

// TestDeviceRecords: records made by the terminal's own store
// (terminal/boltstore) link as the hub checks them.
func TestDeviceRecords(t *testing.T) {
	e := embedded(t, settings{})
	d := e.connect(t, "gate-1", "")
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "terminal.db"), &boltstore.Options{Device: "gate-1", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 25 {
		at := hubtest.T0.Add(time.Duration(i) * time.Second)
		if err := s.Append(&terminal.Record{Venue: "v", TimeUS: at.UnixMicro(), ClockOK: true, Verdict: "pass", Reason: terminal.OK, Name: "李*"}); err != nil {
			t.Fatal(err)
		}
	}
	var recs []*terminal.Record
	s.Records(time.Time{}, func(r *terminal.Record) error { recs = append(recs, r); return nil })
	send(t, d, recs[:10])
	send(t, d, recs[15:])
	send(t, d, recs[10:15])
	if got := e.devices(t)["gate-1"]; got.Records != 25 || !got.ChainOK || len(got.Gaps) != 0 {
		t.Errorf("a terminal's log: %+v", got)
	}
}

// TestReconnect: when the broker goes and comes back, the hub connects
// again, subscribes again (its session is clean) and goes on.
func TestReconnect(t *testing.T) {
	dir := t.TempDir()
	accounts := filepath.Join(dir, "devices.json")
	start := func(addr string) *broker.Broker {
		b, err := broker.New(broker.Options{Addr: addr, Tenant: tenant, Accounts: accounts, HubPassword: "hub-secret",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := start("127.0.0.1:0")
	addr := b.Addr()
	e := startHub(t, dir, &hubtest.Buffer{}, settings{}, hub.Options{Broker: b.HubURL(), Username: broker.HubUser, Password: "hub-secret"})
	e.broker, e.accounts = "tcp://"+addr, accounts
	opts := e.options(t, "d1", "")
	log := hubtest.NewLog("d1", "v")
	d := hubtest.Connect(t, opts)
	ack(t, d)
	send(t, d, log.Next(10))

	b.Close()
	b = start(addr)
	defer b.Close()
	eventually(t, "the hub subscribed again", func() bool { return strings.Count(e.log.String(), "connected to the broker") == 2 })
	d = hubtest.Connect(t, opts)
	if a := ack(t, d); a.Held != 10 {
		t.Errorf("greeting after the broker's restart: %+v, want held 10", a)
	}
	if a := send(t, d, log.Next(10)); a.Held != 20 {
		t.Errorf("ack %+v, want held 20", a)
	}
}
